/**
 * Invariant 1 of the reliability battery (issue 7), row accounting: per input file, rows read = accepted +
 * rejected + duplicates + filtered; every rejected row is in rejects.csv with its file, line and reason, and
 * rejects.csv holds exactly as many rows per file as the manifest says were rejected.
 *
 * It reads only the run's own outputs (manifest.json and rejects.csv), so any test that ran `tally run` can use
 * it. A violation throws an Error whose message names the file and the numbers that disagree.
 */
import { parse as parseCsv } from 'csv-parse/sync';

/** The part of manifest.json this check reads. */
export interface AccountingManifest {
  inputs: { file: string; rows_read: number; accepted: number; rejected: number; duplicates: number; filtered: number }[];
  counts?: { rows_read: number; accepted: number; rejected: number; duplicates: number; filtered: number };
}

export interface RowAccounting {
  /** Per input file (as the manifest names it): its counts and the reject rows found for it. */
  files: Map<string, { rowsRead: number; accepted: number; rejected: number; duplicates: number; filtered: number; rejectRows: number }>;
  /** Every reject row, parsed. */
  rejects: { file: string; line: number; stage: string; reason: string; detail: string }[];
}

const COUNT_KEYS = ['rows_read', 'accepted', 'rejected', 'duplicates', 'filtered'] as const;

export function checkRowAccounting(manifest: AccountingManifest, rejectsCsvText: string): RowAccounting {
  if (!Array.isArray(manifest.inputs)) throw new Error('row accounting: the manifest has no inputs list');
  const files: RowAccounting['files'] = new Map();
  for (const input of manifest.inputs) {
    for (const k of COUNT_KEYS) {
      if (!Number.isInteger(input[k]) || input[k] < 0) throw new Error(`row accounting: ${input.file}: ${k} is ${String(input[k])}, not a count`);
    }
    const sum = input.accepted + input.rejected + input.duplicates + input.filtered;
    if (input.rows_read !== sum) {
      throw new Error(
        `row accounting: ${input.file}: rows_read ${input.rows_read} != accepted ${input.accepted} + rejected ${input.rejected} + duplicates ${input.duplicates} + filtered ${input.filtered} (= ${sum})`,
      );
    }
    if (files.has(input.file)) throw new Error(`row accounting: ${input.file} appears twice in the manifest's inputs`);
    files.set(input.file, { rowsRead: input.rows_read, accepted: input.accepted, rejected: input.rejected, duplicates: input.duplicates, filtered: input.filtered, rejectRows: 0 });
  }

  // The totals, when the manifest gives them, are the sums of the files.
  if (manifest.counts) {
    for (const k of COUNT_KEYS) {
      const sum = manifest.inputs.reduce((s, i) => s + i[k], 0);
      if (manifest.counts[k] !== sum) throw new Error(`row accounting: the manifest's total ${k} ${manifest.counts[k]} != the sum over its files ${sum}`);
    }
  }

  let records: string[][];
  try {
    records = parseCsv(rejectsCsvText, { relax_column_count: false }) as string[][];
  } catch (e) {
    throw new Error(`row accounting: rejects.csv is not valid CSV: ${(e as Error).message}`);
  }
  const header = records.shift();
  if (!header) throw new Error('row accounting: rejects.csv is empty (it must at least have its header)');
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`row accounting: rejects.csv has no "${name}" column (header: ${header.join(',')})`);
    return i;
  };
  const [fi, li, si, ri, di] = [col('file'), col('line'), col('stage'), col('reason'), col('detail')];

  const rejects: RowAccounting['rejects'] = [];
  for (const [n, r] of records.entries()) {
    const where = `rejects.csv row ${n + 2}`;
    const file = r[fi] ?? '';
    const entry = files.get(file);
    if (!entry) throw new Error(`row accounting: ${where} names the file "${file}", which is not among the run's inputs (${[...files.keys()].join(', ')})`);
    const line = Number(r[li]);
    if (!/^[0-9]+$/.test(r[li] ?? '') || line < 1) throw new Error(`row accounting: ${file}: ${where} has no valid line number ("${r[li] ?? ''}")`);
    const reason = r[ri] ?? '';
    if (!reason.trim()) throw new Error(`row accounting: ${file}: ${where} (line ${line}) has no reason`);
    entry.rejectRows++;
    rejects.push({ file, line, stage: r[si] ?? '', reason, detail: r[di] ?? '' });
  }

  for (const [file, e] of files) {
    if (e.rejectRows !== e.rejected) {
      throw new Error(`row accounting: ${file}: the manifest counts ${e.rejected} rejected rows but rejects.csv lists ${e.rejectRows}`);
    }
  }
  return { files, rejects };
}
