/**
 * Large query results moved as a few large texts rather than value by value. The DuckDB client converts each
 * value on its own (about 0.8 µs a value: 3 s for 180,000 billed lines of 21 columns); joined in SQL into one text
 * per 100,000 rows, the same rows arrive several times faster, exact (text stays text), and never as one string
 * too long for JavaScript. Fields are joined with U+001F and records with U+001E (NULL as U+0000); if any value
 * holds one of those characters, which user data practically never does, the rows come as JSON instead.
 *
 * Used by the run's database (Database.textRecords) and the state file (StateStore.textRows).
 */
import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * The rows of `sql` (its columns all VARCHAR), ordered by `orderBy`, split from the texts only as they are
 * iterated (once). A caller that consumes each row as it comes (pricing) then never holds them all.
 */
export async function textRecords(conn: DuckDBConnection, sql: string, orderBy = 'NULL'): Promise<IterableIterator<(string | null)[]>> {
  const columns = (await conn.runAndReadAll(`SELECT * FROM (${sql}) LIMIT 0`)).columnNames();
  const n = columns.length;
  const cols = columns.map((c) => `"${c.replaceAll('"', '""')}"`);
  const reader = await conn.runAndReadAll(`
    SELECT string_agg(concat_ws(chr(31), ${cols.map((c) => `coalesce(${c}, chr(0))`).join(', ')}), chr(30) ORDER BY __rn),
      bool_or(${cols.map((c) => `contains(${c}, chr(0)) OR contains(${c}, chr(30)) OR contains(${c}, chr(31))`).join(' OR ')})
    FROM (SELECT *, row_number() OVER (ORDER BY ${orderBy}) AS __rn FROM (${sql}))
    GROUP BY __rn // 100000 ORDER BY __rn // 100000`);
  const chunks = reader.getRows() as [string, boolean | null][];
  if (chunks.some(([, clash]) => clash)) return (await jsonRows(conn, sql, orderBy)).values();
  return splitRecords(chunks.map(([text]) => text), n);
}

/** The same rows as JSON texts of up to 100,000 rows each (any value, at some cost in speed). */
async function jsonRows(conn: DuckDBConnection, sql: string, orderBy: string): Promise<(string | null)[][]> {
  const reader = await conn.runAndReadAll(`
    SELECT CAST(to_json(list(list_value(*COLUMNS(* EXCLUDE (__rn))) ORDER BY __rn)) AS VARCHAR)
    FROM (SELECT *, row_number() OVER (ORDER BY ${orderBy}) AS __rn FROM (${sql}))
    GROUP BY __rn // 100000 ORDER BY __rn // 100000`);
  const out: (string | null)[][] = [];
  for (const [text] of reader.getRowsJson()) for (const row of JSON.parse(String(text)) as (string | null)[][]) out.push(row);
  return out;
}

/** The records of `texts` (U+001E between records, U+001F between fields, U+0000 for NULL), one at a time. */
function* splitRecords(texts: readonly string[], n: number): Generator<(string | null)[]> {
  for (const text of texts) {
    for (let at = 0; at <= text.length; ) {
      const end = text.indexOf('\x1e', at);
      const stop = end < 0 ? text.length : end;
      const row: (string | null)[] = text.slice(at, stop).split('\x1f');
      if (row.length !== n) throw new Error(`textRows: a record has ${row.length} fields, expected ${n}`);
      for (let i = 0; i < n; i++) if (row[i] === '\0') row[i] = null;
      yield row;
      at = stop + 1;
    }
  }
}
