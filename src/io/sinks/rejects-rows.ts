/**
 * rejects.csv from rows fetched elsewhere (a Snowflake pushdown returns them: line, stage, reason, detail), with
 * the columns of rejects-file.ts: file, line, stage, reason, detail. Written through DuckDB's COPY, as the
 * embedded run writes it, so quoting, NULLs and empty texts come out byte for byte the same.
 */
import type { Database } from '../../engine/duckdb/database.js';
import { quoteString } from '../../engine/duckdb/sql-types.js';

const BATCH = 1000;

/** `rows`: [line, stage, reason, detail] as text, in line order; `source` names them in the file column. */
export async function writeRejectRows(db: Database, file: string, source: string, rows: readonly (string | null)[][]): Promise<void> {
  const text = (v: string | null | undefined) => (v === null || v === undefined ? 'NULL' : quoteString(v));
  await db.run('CREATE OR REPLACE TEMP TABLE __fetched_rejects (seq BIGINT, line BIGINT, stage VARCHAR, reason VARCHAR, detail VARCHAR)');
  try {
    for (let start = 0; start < rows.length; start += BATCH) {
      const values = rows.slice(start, start + BATCH).map((r, i) => `(${start + i}, CAST(${text(r[0])} AS BIGINT), ${text(r[1])}, ${text(r[2])}, ${text(r[3])})`);
      await db.run(`INSERT INTO __fetched_rejects VALUES ${values.join(', ')}`);
    }
    // The order the rows came in (the plan sorts them by line) is kept as is.
    await db.run(`COPY (SELECT ${quoteString(source)} AS file, line, stage, reason, detail FROM __fetched_rejects ORDER BY seq)
      TO ${quoteString(file)} (HEADER, FORMAT csv)`);
  } finally {
    await db.run('DROP TABLE IF EXISTS __fetched_rejects');
  }
}
