/**
 * `tally test [RULESET...]`: runs the expectations beside each ruleset (`NAME.tests.yaml`): input rows and the
 * charge lines (and optionally reject counts) they must give. Prints a diff for each failure; exit 1 on any.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { parse as parseYaml } from 'yaml';
import { runRuleset } from '../../run/run.js';
import { chargeRows } from '../../io/sinks/charges-file.js';
import type { OutputColumnSource, RulesetIR } from '../../ruleset/ir.js';
import { DataError, EXIT } from '../errors.js';
import { loadRuleset } from './load-ruleset.js';

interface TestCase {
  name: string;
  input: Record<string, unknown>[];
  expect: { lines?: Record<string, string>[]; rejects?: Record<string, number> };
}

/** `x.yaml` → `x.tests.yaml`; a ruleset folder keeps its expectations in `ruleset.tests.yaml` inside it. */
export function testsFileOf(ruleset: string): string {
  if (fs.existsSync(ruleset) && fs.statSync(ruleset).isDirectory()) return path.join(ruleset, 'ruleset.tests.yaml');
  return ruleset.replace(/\.ya?ml$/, '') + '.tests.yaml';
}

/** Every ruleset under `rulesets/` that has a tests file beside it. */
function discover(root = 'rulesets'): string[] {
  if (!fs.existsSync(root)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath ?? root, e.name);
    if (e.isFile() && /\.ya?ml$/.test(e.name) && !e.name.endsWith('.tests.yaml') && fs.existsSync(testsFileOf(p))) out.push(p);
  }
  return out.sort();
}

export interface TestOutcome {
  ruleset: string;
  name: string;
  ok: boolean;
  diff: string[];
}

export async function runRulesetTests(rulesetFile: string): Promise<TestOutcome[]> {
  const ruleset = loadRuleset(rulesetFile);
  const testsFile = testsFileOf(rulesetFile);
  if (!fs.existsSync(testsFile)) throw new DataError(`no expectations for ${rulesetFile}`, `write them in ${testsFile}`);
  const doc = parseYaml(fs.readFileSync(testsFile, 'utf8')) as { tests?: TestCase[] };
  const outcomes: TestOutcome[] = [];
  for (const t of doc.tests ?? []) outcomes.push(await runCase(ruleset, rulesetFile, t));
  return outcomes;
}

const KEY_SOURCES: Record<string, OutputColumnSource> = {
  account: 'account', period: 'period', charge: 'charge', dimension: 'dimension', quantity: 'quantity', amount: 'amount',
  amount_exact: 'amount_exact', unit_price: 'unit_price', currency: 'currency', meter: 'meter', period_start: 'period_start', price_version: 'price_version', tier_ref: 'tier_ref',
};

async function runCase(ruleset: RulesetIR, rulesetFile: string, t: TestCase): Promise<TestOutcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-test-'));
  try {
    const input = path.join(dir, 'input.csv');
    const columns = ruleset.input.fields.map((f) => f.column);
    fs.writeFileSync(input, stringify([columns, ...(t.input ?? []).map((r) => columns.map((c) => (r[c] === undefined || r[c] === null ? '' : String(r[c]))))]));
    const { manifest, lines } = await runRuleset(ruleset, [input], { out: path.join(dir, 'out'), format: 'csv', engine: { threads: 1, memoryLimit: '1GB' } });
    const diff: string[] = [];
    if (t.expect?.lines) {
      const keys = [...new Set(t.expect.lines.flatMap((l) => Object.keys(l)))];
      const unknown = keys.filter((k) => !KEY_SOURCES[k]);
      if (unknown.length) throw new DataError(`${testsFileOf(rulesetFile)}: test "${t.name}": unknown line keys ${unknown.join(', ')}`, `use ${Object.keys(KEY_SOURCES).join(', ')}`);
      const got = chargeRows(lines, ruleset, keys.map((k) => ({ name: k, source: KEY_SOURCES[k]! })));
      const show = (r: string[]) => `{ ${keys.map((k, i) => `${k}: ${r[i]}`).join(', ')} }`;
      const want = t.expect.lines.map((l) => keys.map((k) => (l[k] === undefined ? '' : String(l[k]))));
      for (let i = 0; i < Math.max(want.length, got.length); i++) {
        const w = want[i];
        const g = got[i];
        if (w && g && w.every((v, j) => v === g[j])) continue;
        if (w) diff.push(`  - expected line ${i + 1}: ${show(w)}`);
        if (g) diff.push(`  + got      line ${i + 1}: ${show(g)}`);
      }
    }
    if (t.expect?.rejects) {
      const got = manifest.counts.by_reason;
      for (const reason of new Set([...Object.keys(t.expect.rejects), ...Object.keys(got)])) {
        const w = t.expect.rejects[reason] ?? 0;
        const g = got[reason] ?? 0;
        if (w !== g) diff.push(`  rejects ${reason}: expected ${w}, got ${g}`);
      }
    }
    return { ruleset: rulesetFile, name: t.name, ok: diff.length === 0, diff };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function testCommand(files: string[]): Promise<number> {
  const rulesets = files.length ? files : discover();
  let failed = 0;
  let passed = 0;
  for (const file of rulesets) {
    for (const o of await runRulesetTests(file)) {
      if (o.ok) passed++;
      else failed++;
      process.stdout.write(`${o.ok ? 'ok  ' : 'FAIL'} ${file}: ${o.name}\n${o.diff.map((d) => `${d}\n`).join('')}`);
    }
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed ? EXIT.failure : EXIT.ok;
}
