/**
 * Late usage with hand-checked numbers: a month billed from one file, then a late file for the same month.
 * The late run bills only what the late usage adds: the tiers continue where the first run left them, and the
 * monthly fee is not charged again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { tally, tempDir, write } from '../helpers/cli.js';
import { unitsRuleset } from '../helpers/units-ruleset.js';

const ruleset = unitsRuleset('late', `  - charge: api
    meter: units
    model: graduated
    tiers:
      - { up_to: "100", unit_price: "1.00" }
      - { unit_price: "0.50" }
  - { charge: fee, meter: active, model: flat, amount: "10.00" }
`, '  active: { aggregation: count }\n');

describe('late usage', () => {
  it('continues the tiers and does not charge the monthly fee twice', () => {
    const dir = tempDir();
    const state = path.join(dir, 's.duckdb');
    const r = write(dir, 'r.yaml', ruleset);
    const first = write(dir, 'first.csv', 'event_id,account_id,ts,units\ne1,acme,2026-10-05 10:00:00,80\n');
    const late = write(dir, 'late.csv', 'event_id,account_id,ts,units\ne2,acme,2026-10-28 10:00:00,60\n');
    const lines = (out: string) => (parse(fs.readFileSync(path.join(dir, out, 'charges.csv'), 'utf8'), { columns: true }) as Record<string, string>[])
      .map((l) => [l.charge, l.quantity, l.amount, l.status]);
    expect(tally(['run', r, first, '-o', path.join(dir, 'a'), '--state', state]).code).toBe(0);
    // 80 units in the first tier: 80.00; the fee: 10.00.
    expect(lines('a')).toEqual([['api', '80.000', '80.00', 'billed'], ['fee', '1.000', '10.00', 'billed']]);
    const run = tally(['run', r, late, '-o', path.join(dir, 'b'), '--state', state]);
    expect(run.code, run.stderr).toBe(0);
    // 140 units cost 100 × 1.00 + 40 × 0.50 = 120.00, of which 80.00 was billed: the late 60 units add 40.00
    // (20 × 1.00 + 40 × 0.50). Two active events still owe one fee of 10.00: nothing more.
    expect(lines('b')).toEqual([['api', '60.000', '40.00', 'late'], ['fee', '1.000', '0.00', 'late']]);
    // A third file: the billed quantity is now the sum of two runs' lines (80 + 60). 190 units cost
    // 100 × 1.00 + 90 × 0.50 = 145.00, of which 120.00 was billed: the 50 late units add 25.00.
    const later = write(dir, 'later.csv', 'event_id,account_id,ts,units\ne3,acme,2026-10-30 10:00:00,50\n');
    const third = tally(['run', r, later, '-o', path.join(dir, 'c'), '--state', state]);
    expect(third.code, third.stderr).toBe(0);
    expect(lines('c')).toEqual([['api', '50.000', '25.00', 'late'], ['fee', '1.000', '0.00', 'late']]);
  });
});
