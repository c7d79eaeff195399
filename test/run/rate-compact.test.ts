/**
 * Pricing copies decimals and texts compact once many lines are held (src/run/rate.ts). The copies must be the
 * same values: a run priced with copies from the first line equals one priced without. Real DuckDB.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Database } from '../../src/engine/duckdb/database.js';
import { resolveInputs } from '../../src/io/sources/local-files.js';
import { buildEvents } from '../../src/run/mediate.js';
import { rateCharges, type ChargeLine } from '../../src/run/rate.js';
import { compileRulesetFile } from '../../src/ruleset/compile.js';
import { ROOT } from '../helpers/cli.js';

const view = (l: ChargeLine) => [l.lineId, l.at, l.account, l.period, l.charge, l.dimensionLabel, l.quantity.toFixed(), l.priced.exact.toFixed(), l.priced.amount.toFixed(), l.priced.tierRef].join('|');

describe('compact copies of held lines', () => {
  it('price the same lines whether copies start at once or never', async () => {
    const { ruleset } = compileRulesetFile(path.join(ROOT, 'rulesets/examples/cloud-api.yaml'));
    const db = await Database.open({ threads: 1 });
    try {
      await buildEvents(db, ruleset!, await resolveInputs([path.join(ROOT, 'fixtures/usage/cloud-api.csv')], ruleset!.input.format, ROOT));
      const copied = await rateCharges(db, ruleset!, { compactAfterLines: 0 });
      const held = await rateCharges(db, ruleset!, { compactAfterLines: Number.MAX_SAFE_INTEGER });
      expect(copied.length).toBeGreaterThan(3);
      expect(copied.map(view)).toEqual(held.map(view));
    } finally {
      db.close();
    }
  });
});
