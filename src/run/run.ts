/**
 * `tally run`: files → mediated events → charge lines → output folder, all or nothing.
 *
 * Every input row ends in exactly one of accepted, rejected (with a reason), filtered or duplicate;
 * the manifest shows rows_read = accepted + rejected + duplicates + filtered per file, and the run refuses
 * to finish if that does not hold.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { Database, type EngineOptions } from '../engine/duckdb/database.js';
import { quoteString } from '../engine/duckdb/sql-types.js';
import { resolveInputs, type InputFile } from '../io/sources/local-files.js';
import { writeCharges, type ChargesFormat } from '../io/sinks/charges-file.js';
import { OutputDir } from '../io/sinks/output-dir.js';
import { DataError } from '../cli/errors.js';
import { dec, Decimal } from '../pricing/index.js';
import { EVENTS_TABLE } from '../plan/metering-sql.js';
import type { RulesetIR } from '../ruleset/ir.js';
import { INTERNAL, STATUS } from '../stages/stage.js';
import { buildEvents, checkReferenceTables, firstLine, type MalformedRow } from './mediate.js';
import { rateCharges, type ChargeLine } from './rate.js';
import { writeRatedEvents } from './rated-events.js';

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
    const hashes = Promise.all(files.map((f) => hashFile(f)));
    hashes.catch(() => {}); // awaited below; a failure there fails the run
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
    const total = counts.reduce((n, c) => n + c.rows_read, 0);
    const rejected = counts.reduce((n, c) => n + c.rejected, 0);
    if (opts.maxRejectRate !== undefined && total > 0 && rejected / total > opts.maxRejectRate) {
      throw new DataError(`${rejected} of ${total} rows were rejected (${((100 * rejected) / total).toFixed(2)} %), over --max-reject-rate ${(opts.maxRejectRate * 100).toFixed(2)} %; nothing was written`, 'see the reasons with a run without --max-reject-rate, or fix the input');
    }
    say(`rating ${counts.reduce((n, c) => n + c.accepted, 0)} events`);
    const lines = await rateCharges(db, ruleset);
    lap('rate');
    say(`writing ${lines.length} lines`);
    const chargesName = `charges.${opts.format === 'jsonl' ? 'jsonl' : opts.format === 'parquet' ? 'parquet' : 'csv'}`;
    await writeCharges(out.file(chargesName), opts.format, lines, ruleset, db);
    await writeRejects(db, out.file('rejects.csv'), files, malformed);
    if (opts.ratedEvents || ruleset.outputs.ratedEvents) await writeRatedEvents(db, ruleset, lines, files, out.file('rated-events.parquet'));
    lap('write');
    const fileHashes = await hashes;
    const manifest = buildManifest(ruleset, files, counts, fileHashes, malformed, lines, await reasonCounts(db, ruleset, malformed), timings);
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

/**
 * Hashes a file for the manifest, and checks a gzip file to its end on the way: DuckDB reads a truncated
 * gzip stream without complaint, which would silently lose the rows after the cut.
 */
async function hashFile(file: InputFile): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  const source = fs.createReadStream(file.path);
  const gunzip = file.compression === 'gzip' ? zlib.createGunzip() : null;
  const checked = gunzip
    ? new Promise<void>((resolve, reject) => {
        gunzip.on('data', () => {}).on('end', resolve).on('error', (e) => reject(new DataError(`${file.name} is not a complete gzip file: ${e.message}`, 'the file may be truncated; fetch it again')));
      })
    : Promise.resolve();
  for await (const chunk of source) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    if (gunzip && !gunzip.write(chunk)) await new Promise((r) => gunzip.once('drain', r));
  }
  gunzip?.end();
  await checked;
  return { sha256: h.digest('hex'), bytes };
}

/**
 * Outcomes per input row. After a split, a row's outcome is that of its parts: accepted if any part is,
 * rejected if one is (the run rejected the others too), filtered when all were filtered.
 */
async function countOutcomes(db: Database, ruleset: RulesetIR, files: InputFile[], malformed: MalformedRow[]): Promise<Omit<FileCounts, 'sha256' | 'bytes' | 'format'>[]> {
  const split = ruleset.stages.some((s) => s.kind === 'split');
  const perRow = split
    ? `SELECT ${INTERNAL.file}, CASE WHEN bool_or(${INTERNAL.status} IS NULL) THEN NULL ELSE min(${INTERNAL.status}) END AS s FROM ${EVENTS_TABLE} GROUP BY ${INTERNAL.file}, ${INTERNAL.line}`
    : `SELECT ${INTERNAL.file}, ${INTERNAL.status} AS s FROM ${EVENTS_TABLE}`;
  const rows = await db.rows(`SELECT ${INTERNAL.file}, s, count(*) FROM (${perRow}) GROUP BY ALL`);
  return files.map((f, i) => {
    const n = (status: string | null) => rows.filter((r) => Number(r[0]) === i && r[1] === status).reduce((a, r) => a + Number(r[2]), 0);
    const bad = malformed.filter((m) => m.file === i).length;
    const c = { file: f.name, accepted: n(null), rejected: n(STATUS.rejected) + bad, duplicates: n(STATUS.duplicate), filtered: n(STATUS.filtered) };
    return { ...c, rows_read: c.accepted + c.rejected + c.duplicates + c.filtered };
  });
}

async function reasonCounts(db: Database, ruleset: RulesetIR, malformed: MalformedRow[]): Promise<{ byReason: Record<string, number>; byStage: Manifest['counts']['by_stage'] }> {
  // After a split, count input rows, not their parts: a row that kept no live part is counted once,
  // by its reject if it has one.
  const perRow = ruleset.stages.some((s) => s.kind === 'split')
    ? `SELECT arg_min(${INTERNAL.stage}, k) AS ${INTERNAL.stage}, arg_min(${INTERNAL.status}, k) AS ${INTERNAL.status}, arg_min(${INTERNAL.reason}, k) AS ${INTERNAL.reason}
       FROM (SELECT *, (CASE ${INTERNAL.status} WHEN '${STATUS.rejected}' THEN 0 ELSE 1 END, ${INTERNAL.split}) AS k FROM ${EVENTS_TABLE})
       GROUP BY ${INTERNAL.file}, ${INTERNAL.line} HAVING NOT bool_or(${INTERNAL.status} IS NULL)`
    : `SELECT * FROM ${EVENTS_TABLE} WHERE ${INTERNAL.status} IS NOT NULL`;
  const rows = await db.rows(`SELECT ${INTERNAL.stage}, ${INTERNAL.status}, ${INTERNAL.reason}, count(*) FROM (${perRow}) GROUP BY ALL ORDER BY ALL`);
  const byReason: Record<string, number> = {};
  const byStage: Manifest['counts']['by_stage'] = {};
  const add = (stage: string, status: string, reason: string, n: number) => {
    const s = (byStage[stage] ??= { rejected: 0, filtered: 0, duplicates: 0 });
    if (status === STATUS.rejected) {
      s.rejected += n;
      byReason[reason] = (byReason[reason] ?? 0) + n;
    } else if (status === STATUS.filtered) s.filtered += n;
    else s.duplicates += n;
  };
  for (const [stage, status, reason, n] of rows) add(String(stage), String(status), String(reason), Number(n));
  for (const m of malformed) add('read', STATUS.rejected, m.reason, 1);
  return { byReason, byStage };
}

function buildManifest(
  ruleset: RulesetIR,
  files: InputFile[],
  counts: Omit<FileCounts, 'sha256' | 'bytes' | 'format'>[],
  hashes: { sha256: string; bytes: number }[],
  malformed: MalformedRow[],
  lines: ChargeLine[],
  reasons: { byReason: Record<string, number>; byStage: Manifest['counts']['by_stage'] },
  timings: Record<string, number>,
): Manifest {
  void malformed;
  const inputs = counts.map((c, i) => ({ ...c, format: files[i]!.format, bytes: hashes[i]!.bytes, sha256: hashes[i]!.sha256 }));
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
    counts: { rows_read: sum('rows_read'), accepted: sum('accepted'), rejected: sum('rejected'), duplicates: sum('duplicates'), filtered: sum('filtered'), by_stage: reasons.byStage, by_reason: reasons.byReason },
    lines: lines.length,
    totals,
    outputs: [],
    timings_ms: timings,
  };
}

/** rejects.csv: every rejected row with its file, line, stage, reason and what was wrong, in file and line order. */
async function writeRejects(db: Database, file: string, files: InputFile[], malformed: MalformedRow[]): Promise<void> {
  const names = files.map((f, i) => `(${i}, ${quoteString(f.name)})`).join(', ') || '(0, NULL)';
  const bad = malformed.map((m) => `(${m.file}, ${m.line}, 'read', ${quoteString(m.reason)}, ${quoteString(m.detail)})`);
  const malformedRel = bad.length
    ? `SELECT * FROM (VALUES ${bad.join(', ')}) AS m(f, line, stage, reason, detail)`
    : `SELECT NULL::INTEGER AS f, NULL::BIGINT AS line, NULL::VARCHAR AS stage, NULL::VARCHAR AS reason, NULL::VARCHAR AS detail WHERE false`;
  await db.run(`COPY (
    SELECT n.name AS file, r.line, r.stage, r.reason, r.detail
    FROM (SELECT * FROM (SELECT DISTINCT ON (${INTERNAL.file}, ${INTERNAL.line}) ${INTERNAL.file} AS f, ${INTERNAL.line} AS line, ${INTERNAL.stage} AS stage, ${INTERNAL.reason} AS reason, ${INTERNAL.detail} AS detail
          FROM ${EVENTS_TABLE} WHERE ${INTERNAL.status} = '${STATUS.rejected}' ORDER BY ${INTERNAL.file}, ${INTERNAL.line}, ${INTERNAL.split})
          UNION ALL ${malformedRel}) AS r
    JOIN (VALUES ${names}) AS n(i, name) ON n.i = r.f
    ORDER BY r.f, r.line
  ) TO ${quoteString(file)} (HEADER, FORMAT csv)`);
}

export type { InputFile };
