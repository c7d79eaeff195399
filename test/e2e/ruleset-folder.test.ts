/** A ruleset can be a folder of YAML files, each holding some of the sections; it rates exactly like one file. */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, tally, tempDir, write } from '../helpers/cli.js';

function splitS1(dir: string): void {
  const text = fs.readFileSync(path.join(ROOT, 'rulesets/bench/s1.yaml'), 'utf8');
  const m = text.indexOf('mediation:');
  const p = text.indexOf('meters:');
  write(dir, 'main.yaml', text.slice(0, m));
  write(dir, 'mediation.yaml', text.slice(m, p));
  write(dir, 'prices.yaml', text.slice(p));
}

it('a folder ruleset rates like the single file, and a section defined twice is located', () => {
  const dir = tempDir();
  const rules = path.join(dir, 'rules');
  fs.mkdirSync(rules);
  splitS1(rules);
  const usage = write(dir, 'u.csv', 'event_id,account_id,ts,metric,region,quantity\ne1,a,2026-10-05 09:00:00,compute_sec,us-east,100\ne2,a,2026-10-04 09:00:00,egress_gb,ap-south,10\n');
  expect(tally(['run', rules, usage, '--out', path.join(dir, 'a'), '-q']).code).toBe(0);
  expect(tally(['run', 'rulesets/bench/s1.yaml', usage, '--out', path.join(dir, 'b'), '-q']).code).toBe(0);
  const a = fs.readFileSync(path.join(dir, 'a/charges.csv'), 'utf8');
  expect(a).toBe(fs.readFileSync(path.join(dir, 'b/charges.csv'), 'utf8'));
  // 100 s peak × 0.0020 = 0.20; 10 GB × 0.090 × 1.20 = 1.08
  expect(a).toBe('account_id,period,metric,dimension,quantity,amount\na,2026-10,compute_sec,peak,100.000,0.20\na,2026-10,egress_gb,ap-south,10.000,1.08\n');

  write(rules, 'more.yaml', 'meters:\n  x: { aggregation: count }\n');
  const r = tally(['validate', rules]);
  expect(r.code).toBe(3);
  expect(r.stderr).toMatch(/prices\.yaml:1:1 meters: section "meters" is also defined in .*more\.yaml/);
});
