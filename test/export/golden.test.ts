/**
 * Each built-in profile renders the fixture records (lines, ledger entries or top-ups, by its kind) byte for byte
 * as its golden file. To regenerate after an
 * intended change: UPDATE_GOLDEN=1 npx vitest run test/export, then read the diff.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES } from '../../src/io/exports/registry.js';
import { renderExport } from '../../src/io/exports/render.js';
import { profileProblems } from '../../src/io/exports/profile.js';
import { enrichment, ENTRIES, GENERATED_AT, LINES, RUN_ID, TOP_UPS } from './fixtures.js';

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden');

describe('built-in export profiles', () => {
  for (const [name, profile] of Object.entries(BUILTIN_PROFILES)) {
    it(`${name} matches its golden file`, () => {
      expect(profileProblems(profile)).toEqual([]);
      const out = renderExport(profile, { lines: LINES, entries: ENTRIES, topUps: TOP_UPS, runId: RUN_ID, generatedAt: GENERATED_AT, enrichment: enrichment() });
      const file = path.join(GOLDEN, out.fileName.replace(/^/, `${name}--`));
      if (process.env.UPDATE_GOLDEN) fs.writeFileSync(file, out.text);
      expect(out.text).toBe(fs.readFileSync(file, 'utf8'));
      const rows = profile.format === 'csv' ? out.text.split('\n').length - 2 : out.text.split('\n').length - 1;
      expect(out.records).toBeGreaterThan(0);
      expect(out.records + out.skipped).toBe({ charge_lines: LINES, wallet_entries: ENTRIES, top_ups: TOP_UPS }[profile.records].length);
      expect(rows).toBeGreaterThanOrEqual(out.records); // a quoted line break makes one record span two lines
    });
  }
});
