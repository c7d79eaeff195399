/**
 * Test helper: compile a ruleset from text and run it in-process over CSV text, returning the charge rows
 * (as the given columns), the rejects and the manifest. Real DuckDB, real files in a temp folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { formatDiagnostic } from '../../src/diagnostics/diagnostic.js';
import { compileRulesetText } from '../../src/ruleset/compile.js';
import { chargeRows } from '../../src/io/sinks/charges-file.js';
import type { OutputColumnSource } from '../../src/ruleset/ir.js';
import { runRuleset, type Manifest } from '../../src/run/run.js';
import { tempDir } from './cli.js';

export interface Rated {
  lines: Record<string, string>[];
  rejects: Record<string, string>[];
  manifest: Manifest;
  out: string;
}

export async function rate(rulesetYaml: string, csv: string, opts: { columns?: OutputColumnSource[]; files?: Record<string, string>; ratedEvents?: boolean } = {}): Promise<Rated> {
  const dir = tempDir();
  for (const [name, text] of Object.entries(opts.files ?? {})) fs.writeFileSync(path.join(dir, name), text);
  const rulesetFile = path.join(dir, 'ruleset.yaml');
  fs.writeFileSync(rulesetFile, rulesetYaml);
  const { ruleset, diagnostics } = compileRulesetText(rulesetYaml, rulesetFile);
  if (!ruleset) throw new Error(`ruleset has errors:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
  const input = path.join(dir, 'usage.csv');
  fs.writeFileSync(input, csv);
  const out = path.join(dir, 'out');
  const { manifest, lines } = await runRuleset(ruleset, [input], { out, format: 'csv', engine: { threads: 1, memoryLimit: '1GB' }, ratedEvents: opts.ratedEvents ?? false });
  const columns = opts.columns ?? ['account', 'period', 'charge', 'dimension', 'quantity', 'amount'];
  const rows = chargeRows(lines, ruleset, columns.map((c) => ({ name: c, source: c })));
  const rejects = parse(fs.readFileSync(path.join(out, 'rejects.csv')), { columns: true }) as Record<string, string>[];
  return { lines: rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]!]))), rejects, manifest, out };
}

/** A minimal ruleset: events (id, account, ts, qty[, extra string fields]) and the given mediation/meters/prices YAML. */
export function ruleset(body: string, extraFields: string[] = []): string {
  return `version: 1
name: t
input:
  fields:
    id: { type: string }
    account: { type: string }
    ts: { type: timestamp, format: "%Y-%m-%d %H:%M:%S" }
    qty: { type: "decimal(18,3)" }
${extraFields.map((f) => `    ${f}: { type: string }`).join('\n')}
  event_id: id
  event_time: ts
billing:
  account: account
${body}`;
}
