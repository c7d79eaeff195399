/**
 * `tally diff OLD NEW INPUT...`: the same usage rated by two rulesets, and what the change does to revenue.
 * Neither rating keeps state or writes outputs; only the report is written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareLines, exceeds, percentText, type DiffLine } from '../../diff/compare.js';
import { renderHtml, renderJson, renderMarkdown, renderText } from '../../diff/render.js';
import { dec } from '../../pricing/index.js';
import type { RulesetIR } from '../../ruleset/ir.js';
import { runRuleset } from '../../run/run.js';
import { fetchInputs, type RunInputs } from '../../io/sources/inputs.js';
import { sourceOptions } from './source-options.js';
import { EXIT, UsageError } from '../errors.js';
import { loadRulesetSource } from './load-ruleset.js';

function percentOption(v: unknown, name: string) {
  if (v === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(String(v))) throw new UsageError(`${name} must be a percentage such as 5 or 2.5 (got ${String(v)})`);
  return dec(String(v));
}

async function rate(ruleset: RulesetIR, inputs: string[], prefetched: RunInputs | null): Promise<DiffLine[]> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-diff-'));
  try {
    const { lines } = await runRuleset(ruleset, inputs, { out, format: 'csv', ...(prefetched ? { prefetched } : {}) });
    return lines.map((l) => ({ account: l.account, period: l.period, charge: l.charge, dimension: l.dimensionLabel, currency: l.currency, amount: l.priced.amount }));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

export async function diffCommand(oldSpec: string, newSpec: string, inputs: string[], opts: Record<string, unknown>): Promise<number> {
  const failOver = percentOption(opts.failOver, '--fail-over');
  const threshold = percentOption(opts.threshold, '--threshold') ?? dec(10);
  const oldRuleset = loadRulesetSource(oldSpec);
  const newRuleset = loadRulesetSource(newSpec);
  // Remote usage is fetched once and rated by both rulesets: both see the same events (a stream or a table may grow).
  const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-diff-inputs-'));
  let before: DiffLine[];
  let after: DiffLine[];
  try {
    const sameFormat = oldRuleset.input.format === newRuleset.input.format;
    const prefetched = sameFormat ? await fetchInputs(inputs, { tempDir: spool, declared: newRuleset.input.format, ...sourceOptions(opts) }) : null;
    before = await rate(oldRuleset, inputs, prefetched);
    after = await rate(newRuleset, inputs, prefetched);
  } finally {
    fs.rmSync(spool, { recursive: true, force: true });
  }
  const report = compareLines(before, after, {
    old: { name: oldRuleset.name, version: oldRuleset.version, source: oldSpec },
    new: { name: newRuleset.name, version: newRuleset.version, source: newSpec },
    inputs,
    threshold,
  });
  const over = failOver === undefined ? null : exceeds(report, failOver);
  const verdict = failOver === undefined ? undefined
    : over ? `<span class="fail">Over the limit:</span> the ${over.currency} total moves ${percentText(over.percent)}, more than ${failOver.toFixed()} %.`
      : `<span class="ok">Within the limit</span> of ${failOver.toFixed()} %.`;
  if (typeof opts.html === 'string') {
    const tmp = `${opts.html}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, renderHtml(report, verdict));
    fs.renameSync(tmp, opts.html);
  }
  process.stdout.write(opts.json ? renderJson(report) : opts.markdown ? renderMarkdown(report) : renderText(report));
  if (over) {
    process.stderr.write(`tally: the ${over.currency} total moves ${percentText(over.percent)}, more than --fail-over ${failOver!.toFixed()} %\n`);
    return EXIT.diffOver;
  }
  return EXIT.ok;
}
