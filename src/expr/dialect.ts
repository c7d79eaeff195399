/** How expressions are written for one SQL engine. Adding an engine means writing one of these objects. */
export interface SqlDialect {
  name: 'duckdb' | 'snowflake';
  quoteIdent(name: string): string;
  quoteString(s: string): string;
  /** Wall-clock time in `tz` of a UTC TIMESTAMP. */
  toLocal(ts: string, tz: string): string;
}

const isUtc = (tz: string) => tz === 'UTC' || tz === 'Etc/UTC';

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  quoteIdent: (name) => `"${name.replace(/"/g, '""')}"`,
  quoteString: (s) => `'${s.replace(/'/g, "''")}'`,
  toLocal: (ts, tz) => (isUtc(tz) ? ts : `timezone('${tz.replace(/'/g, "''")}', CAST(${ts} AS TIMESTAMPTZ))`),
};
