/** The example rulesets' own expectations (NAME.tests.yaml), run as `tally test` runs them. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRulesetTests } from '../../src/cli/commands/test.js';
import { ROOT, tally, tempDir } from '../helpers/cli.js';

const examples = fs.readdirSync(path.join(ROOT, 'rulesets/examples')).filter((f) => f.endsWith('.yaml') && !f.endsWith('.tests.yaml'));

describe('example rulesets', () => {
  it('there are at least three, each with expectations', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const e of examples) expect(fs.existsSync(path.join(ROOT, 'rulesets/examples', e.replace('.yaml', '.tests.yaml')))).toBe(true);
  });
  for (const e of examples) {
    it(`${e} meets its expectations`, async () => {
      const outcomes = await runRulesetTests(path.join(ROOT, 'rulesets/examples', e));
      expect(outcomes.length).toBeGreaterThanOrEqual(4);
      for (const o of outcomes) expect(o.diff, `${o.name}`).toEqual([]);
    });
  }

  it('tally test fails with a diff when an expectation is wrong', () => {
    const dir = tempDir();
    fs.copyFileSync(path.join(ROOT, 'rulesets/bench/s1.yaml'), path.join(dir, 's1.yaml'));
    fs.writeFileSync(path.join(dir, 's1.tests.yaml'), `tests:
  - name: wrong on purpose
    input:
      - { event_id: e1, account_id: a, ts: "2026-10-01 00:00:00", metric: api_call, region: us-east, quantity: "100" }
    expect:
      lines:
        - { account: a, period: "2026-10", charge: api_call, quantity: "100.000", amount: "9.99" }
`);
    const r = tally(['test', path.join(dir, 's1.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/- expected line 1: \{ account: a, period: 2026-10, charge: api_call, quantity: 100.000, amount: 9.99 \}/);
    expect(r.stdout).toMatch(/\+ got {6}line 1: \{ account: a, period: 2026-10, charge: api_call, quantity: 100.000, amount: 1.00 \}/);
    expect(r.stdout).toMatch(/0 passed, 1 failed/);
  });

  it('keeping the events on disk changes no output (ai-tokens splits, so it materializes twice)', () => {
    const dir = tempDir();
    for (const [name, usage] of [['ai-tokens', 'ai-tokens.csv'], ['cloud-api', 'cloud-api.csv']]) {
      const outs = ['memory', 'disk'].map((store) => {
        const out = path.join(dir, `${name}-${store}`);
        const r = tally(['run', `rulesets/examples/${name}.yaml`, `fixtures/usage/${usage}`, '--out', out, '--rated-events', '--events-store', store, '--quiet']);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')).events_store).toBe(store === 'disk' ? 'disk' : undefined);
        return out;
      });
      for (const f of ['charges.csv', 'rejects.csv', 'rated-events.parquet']) {
        expect(fs.readFileSync(path.join(outs[1]!, f)).equals(fs.readFileSync(path.join(outs[0]!, f))), `${name} ${f}`).toBe(true);
      }
    }
  });

  it('the README quick start gives a charge file', () => {
    const dir = tempDir();
    const r = tally(['run', 'rulesets/examples/cloud-api.yaml', 'fixtures/usage/cloud-api.csv', '--out', dir]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'charges.csv'), 'utf8').split('\n').length).toBeGreaterThan(5);
  });
});
