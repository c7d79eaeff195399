/**
 * `tally run`: files → mediated events → charge lines → output folder, all or nothing.
 *
 * Every input row ends in exactly one of accepted, rejected (with a reason), filtered or duplicate;
 * the manifest shows rows_read = accepted + rejected + duplicates + filtered per file, and the run refuses
 * to finish if that does not hold.
 */
import fs from 'node:fs';
import { Database, type EngineOptions } from '../engine/duckdb/database.js';
import { resolveInputs, type InputFile } from '../io/sources/local-files.js';
import { writeCharges, type ChargesFormat } from '../io/sinks/charges-file.js';
import { writeRejects } from '../io/sinks/rejects-file.js';
import { OutputDir } from '../io/sinks/output-dir.js';
import { DataError } from '../cli/errors.js';
import { dec, Decimal } from '../pricing/index.js';
import type { RulesetIR } from '../ruleset/ir.js';
import { buildEvents, checkReferenceTables, firstLine, type MalformedRow } from './mediate.js';
import { rateCharges, type ChargeLine } from './rate.js';
import { countOutcomes, type OutcomeCounts } from './outcome-counts.js';
import { writeRatedEvents } from './rated-events.js';
import { fingerprintFiles } from '../io/sources/fingerprint.js';

export interface RunOptions {
  out: string;
  format: ChargesFormat;
  /** Fraction 0..1 of rows that may be rejected before the run fails. */
  maxRejectRate?: number;
  ratedEvents?: boolean;
  engine?: EngineOptions;
  /** Called with a short status while the run progresses (the CLI shows it on a spinner). */
  progress?: (message: string) => void;
}

export interface FileCounts {
  file: string;
  format: string;
  bytes: number;
  sha256: string;
  rows_read: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  filtered: number;
}

export interface Manifest {
  tally: string;
  ruleset: { name: string; version: string; file: string; sha256: string };
  inputs: FileCounts[];
  counts: {
    rows_read: number;
    accepted: number;
    rejected: number;
    duplicates: number;
    filtered: number;
    by_stage: Record<string, { rejected: number; filtered: number; duplicates: number }>;
    by_reason: Record<string, number>;
  };
  lines: number;
  totals: Record<string, { amount: string; amount_exact: string; lines: number }>;
  outputs: string[];
  timings_ms: Record<string, number>;
}

export interface RunResult {
  manifest: Manifest;
  lines: ChargeLine[];
}

export const TALLY_VERSION = '0.1.0';

/** Runs a ruleset over input files and writes the output folder. */
export async function runRuleset(ruleset: RulesetIR, inputArgs: string[], opts: RunOptions): Promise<RunResult> {
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - t0);
    t0 = now;
  };
  const say = opts.progress ?? (() => {});
  const out = new OutputDir(opts.out);
  const db = await Database.open(opts.engine);
  try {
    const files = await resolveInputs(inputArgs, ruleset.input.format, out.staging);
    const hashes = fingerprintFiles(files);
    lap('resolve');
    say(`reading ${files.length} file${files.length === 1 ? '' : 's'}`);
    await checkReferenceTables(db, ruleset);
    let malformed: MalformedRow[];
    try {
      ({ malformed } = await buildEvents(db, ruleset, files));
    } catch (e) {
      if (e instanceof DataError) throw e;
      throw new DataError(`cannot read the input: ${firstLine(e)}`, 'check that each file is complete and in the declared format (a truncated .gz or a non-Parquet file cannot be read)');
    }
    lap('mediate');
    const counts = await countOutcomes(db, ruleset, files, malformed);
    const total = counts.files.reduce((n, c) => n + c.rows_read, 0);
    const rejected = counts.files.reduce((n, c) => n + c.rejected, 0);
    if (opts.maxRejectRate !== undefined && total > 0 && rejected / total > opts.maxRejectRate) {
      throw new DataError(`${rejected} of ${total} rows were rejected (${((100 * rejected) / total).toFixed(2)} %), over --max-reject-rate ${(opts.maxRejectRate * 100).toFixed(2)} %; nothing was written`, 'see the reasons with a run without --max-reject-rate, or fix the input');
    }
    say(`rating ${counts.files.reduce((n, c) => n + c.accepted, 0)} events`);
    const lines = await rateCharges(db, ruleset);
    lap('rate');
    say(`writing ${lines.length} lines`);
    const chargesName = `charges.${opts.format === 'jsonl' ? 'jsonl' : opts.format === 'parquet' ? 'parquet' : 'csv'}`;
    await writeCharges(out.file(chargesName), opts.format, lines, ruleset, db);
    await writeRejects(db, out.file('rejects.csv'), files, malformed);
    if (opts.ratedEvents || ruleset.outputs.ratedEvents) await writeRatedEvents(db, ruleset, lines, files, out.file('rated-events.parquet'));
    lap('write');
    const fileHashes = await hashes;
    lap('fingerprint_wait');
    const manifest = buildManifest(ruleset, files, counts, fileHashes, lines, timings);
    manifest.outputs = [chargesName, 'rejects.csv', ...(opts.ratedEvents || ruleset.outputs.ratedEvents ? ['rated-events.parquet'] : []), 'manifest.json'];
    fs.writeFileSync(out.file('manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    out.commit();
    return { manifest, lines };
  } catch (e) {
    out.discard();
    throw e;
  } finally {
    db.close();
  }
}


function buildManifest(ruleset: RulesetIR, files: InputFile[], counts: OutcomeCounts, hashes: { sha256: string; bytes: number }[], lines: ChargeLine[], timings: Record<string, number>): Manifest {
  const inputs = counts.files.map((c, i) => ({ ...c, format: files[i]!.format, bytes: hashes[i]!.bytes, sha256: hashes[i]!.sha256 }));
  const sum = (k: 'rows_read' | 'accepted' | 'rejected' | 'duplicates' | 'filtered') => inputs.reduce((n, c) => n + c[k], 0);
  const totals: Manifest['totals'] = {};
  const exact = new Map<string, Decimal>();
  const rounded = new Map<string, Decimal>();
  for (const l of lines) {
    exact.set(l.currency, (exact.get(l.currency) ?? dec(0)).plus(l.priced.exact));
    rounded.set(l.currency, (rounded.get(l.currency) ?? dec(0)).plus(l.priced.amount));
    totals[l.currency] = { amount: '', amount_exact: '', lines: (totals[l.currency]?.lines ?? 0) + 1 };
  }
  for (const [cur, t] of Object.entries(totals)) {
    const minor = lines.find((l) => l.currency === cur)!.minorUnits;
    t.amount = rounded.get(cur)!.toFixed(minor);
    t.amount_exact = exact.get(cur)!.toFixed();
  }
  return {
    tally: TALLY_VERSION,
    ruleset: { name: ruleset.name, version: ruleset.version, file: ruleset.file, sha256: ruleset.hash },
    inputs,
    counts: { rows_read: sum('rows_read'), accepted: sum('accepted'), rejected: sum('rejected'), duplicates: sum('duplicates'), filtered: sum('filtered'), by_stage: counts.byStage, by_reason: counts.byReason },
    lines: lines.length,
    totals,
    outputs: [],
    timings_ms: timings,
  };
}


export type { InputFile };
