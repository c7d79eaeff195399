/**
 * Reject line numbers are the file's own lines, even when a stage that joins (enrich) runs before the first
 * materialization: a hash join returns rows in its own order, and CSV line numbers come from row order.
 * (Found by the Snowflake pushdown's equivalence test: evt-0054 on line 55 was reported on line 51.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ROOT, tally, tempDir } from '../helpers/cli.js';

describe('reject line numbers', () => {
  it('name the line of the file each rejected row is on, after an enrich join', () => {
    const out = path.join(tempDir(), 'out');
    const r = tally(['run', 'rulesets/examples/cloud-api.yaml', 'fixtures/usage/cloud-api.csv', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const fileLines = fs.readFileSync(path.join(ROOT, 'fixtures/usage/cloud-api.csv'), 'utf8').split('\n');
    const rejects = parse(fs.readFileSync(path.join(out, 'rejects.csv')), { columns: true }) as Record<string, string>[];
    expect(rejects.length).toBeGreaterThan(5);
    for (const rej of rejects) {
      const line = fileLines[Number(rej.line) - 1]!;
      // The detail quotes the offending value; it must be on that very line (conflicting duplicates carry none).
      const value = /="(.*)"$/.exec(rej.detail ?? '')?.[1];
      if (value) expect(line, `${rej.reason} on line ${rej.line}`).toContain(value);
    }
    expect(rejects.map((x) => Number(x.line))).toEqual([21, 26, 29, 31, 33, 36, 39, 55, 58]);
    expect(fileLines[57]).toContain('evt-0014'); // line 58: the conflicting re-delivery, not the first copy
  });
});
