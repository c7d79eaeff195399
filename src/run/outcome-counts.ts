/**
 * Row accounting: every input row's one outcome, counted per file, per stage and per reject reason, from one
 * pass over the events table (grouped by the raw outcome text, decoded here).
 *
 * After a split, rows are counted as transactions, not parts: a transaction is accepted if any part is,
 * otherwise it takes the outcome of its first rejected part (the run rejected the others too), or of its
 * first part when all were filtered.
 */
import type { Database } from '../engine/duckdb/database.js';
import type { InputFile } from '../io/sources/local-files.js';
import type { RulesetIR } from '../ruleset/ir.js';
import { INTERNAL, OUTCOME_SEPARATOR, STATUS } from '../stages/stage.js';
import { EVENTS_STORE, type MalformedRow } from './mediate.js';

export interface FileOutcomes {
  file: string;
  rows_read: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  filtered: number;
}

export interface OutcomeCounts {
  files: FileOutcomes[];
  byStage: Record<string, { rejected: number; filtered: number; duplicates: number }>;
  byReason: Record<string, number>;
}

export async function countOutcomes(db: Database, ruleset: RulesetIR, files: InputFile[], malformed: MalformedRow[]): Promise<OutcomeCounts> {
  const o = INTERNAL.outcome;
  const perRow = ruleset.stages.some((s) => s.kind === 'split')
    ? `SELECT ${INTERNAL.file}, CASE WHEN bool_or(${o} IS NULL) THEN NULL
         ELSE arg_min(${o}, (CASE WHEN starts_with(${o}, '${STATUS.rejected}') THEN 0 ELSE 1 END, ${INTERNAL.split})) END AS ${o}
       FROM ${EVENTS_STORE} GROUP BY ${INTERNAL.file}, ${INTERNAL.line}`
    : EVENTS_STORE;
  const rows = await db.rows(`SELECT ${INTERNAL.file}, ${o}, count(*) FROM ${perRow.startsWith('SELECT') ? `(${perRow})` : perRow} GROUP BY ALL`);

  const counts = emptyCounts(files.map((f) => f.name));
  const add = (file: number, status: string | null, stage: string, reason: string, n: number) => addOutcome(counts, file, status, stage, reason, n);
  for (const [file, outcome, n] of rows) {
    const [status, stage, reason] = outcome === null ? [null, '', ''] : String(outcome).split(OUTCOME_SEPARATOR);
    add(Number(file), status ?? null, stage ?? '', reason ?? '', Number(n));
  }
  for (const m of malformed) add(m.file, STATUS.rejected, 'read', m.reason, 1);
  return counts;
}

export function emptyCounts(fileNames: readonly string[]): OutcomeCounts {
  return { files: fileNames.map((file) => ({ file, rows_read: 0, accepted: 0, rejected: 0, duplicates: 0, filtered: 0 })), byStage: {}, byReason: {} };
}

/** Counts `n` rows of one outcome (status null: accepted) for a file, its stage and its reason. */
export function addOutcome(counts: OutcomeCounts, file: number, status: string | null, stage: string, reason: string, n: number): void {
  const f = counts.files[file]!;
  f.rows_read += n;
  if (status === null) {
    f.accepted += n;
    return;
  }
  const s = (counts.byStage[stage] ??= { rejected: 0, filtered: 0, duplicates: 0 });
  if (status === STATUS.rejected) {
    f.rejected += n;
    s.rejected += n;
    counts.byReason[reason] = (counts.byReason[reason] ?? 0) + n;
  } else if (status === STATUS.filtered) {
    f.filtered += n;
    s.filtered += n;
  } else {
    f.duplicates += n;
    s.duplicates += n;
  }
}
