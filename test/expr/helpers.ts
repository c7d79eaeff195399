/**
 * A small language for expression tests: scopes from short type strings, «marks» for where a problem
 * must point, and evaluation of emitted SQL on a real in-memory DuckDB with results read as text
 * (never as JS numbers, which would hide decimal errors).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { compileExpr, duckdbDialect, emitSql, type ExprProblem, type Scope, type TypedExpr, type ValueType } from '../../src/expr/index.js';

/** `decimal(2)`, `string`, `integer`, `timestamp`, `boolean`. */
export function typeOf(spec: string): ValueType {
  const dec = /^decimal\((\d+)\)$/.exec(spec);
  if (dec) return { kind: 'decimal', scale: Number(dec[1]) };
  if (['string', 'integer', 'timestamp', 'boolean'].includes(spec)) return { kind: spec } as ValueType;
  throw new Error(`unknown type spec ${spec}`);
}

export function scopeOf(fields: Record<string, string>): Scope {
  return new Map(Object.entries(fields).map(([name, spec]) => [name, typeOf(spec)]));
}

/** `amount + «nme»` → the source without marks and the marked range. */
export function mark(marked: string): { source: string; start: number; end: number } {
  const start = marked.indexOf('«');
  const end = marked.indexOf('»') - 1;
  if (start < 0 || end < start) throw new Error(`no «range» in ${marked}`);
  return { source: marked.replace('«', '').replace('»', ''), start, end };
}

export function compileOk(source: string, scope: Scope = new Map(), timezone = 'UTC'): TypedExpr {
  const { expr, problems } = compileExpr(source, scope, { timezone });
  if (!expr) throw new Error(`${source}: ${problems.map((p) => p.message).join('; ')}`);
  return expr;
}

export function problemsOf(source: string, scope: Scope = new Map(), expected?: ValueType['kind'], timezone = 'UTC'): ExprProblem[] {
  return compileExpr(source, scope, { timezone }, expected).problems;
}

/** A row of typed values: `{ amount: ['decimal(2)', '12.34'], note: ['string', null] }`. */
export type Row = Record<string, [spec: string, value: string | null]>;

export interface Duck {
  /** Evaluates `source` on one row; the result as DuckDB prints it (VARCHAR), or null. */
  value(source: string, row?: Row, timezone?: string): Promise<string | null>;
  /** Evaluates `source` on many rows (all with the same fields); results in row order. */
  values(source: string, rows: Row[], timezone?: string): Promise<Array<string | null>>;
  /** Runs SQL and returns the first column of the first row as text. */
  scalar(sql: string): Promise<string | null>;
  connection: DuckDBConnection;
}

export async function openDuck(): Promise<Duck> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const d = duckdbDialect;
  const scalar = async (sql: string) => {
    const reader = await connection.runAndReadAll(sql);
    return (reader.getRowsJson()[0]?.[0] ?? null) as string | null;
  };
  const values = async (source: string, rows: Row[], timezone = 'UTC') => {
    const first = rows[0] ?? {};
    const scope = new Map(Object.entries(first).map(([name, [spec]]) => [name, typeOf(spec)]));
    const sql = emitSql(compileOk(source, scope, timezone), d);
    const names = Object.keys(first);
    const literal = (spec: string, v: string | null) => `CAST(${v === null ? 'NULL' : d.quoteString(v)} AS ${d.sqlType(typeOf(spec))})`;
    const table = rows.length
      ? rows
          .map((row, i) => `SELECT ${i} AS __i${names.map((n) => `, ${literal(row[n]![0], row[n]![1])} AS ${d.quoteIdent(n)}`).join('')}`)
          .join(' UNION ALL ')
      : 'SELECT 0 AS __i';
    const reader = await connection.runAndReadAll(`SELECT CAST(${sql} AS VARCHAR) FROM (${table}) ORDER BY __i`);
    return reader.getRowsJson().map((r) => (r[0] ?? null) as string | null);
  };
  return {
    connection,
    scalar,
    values,
    value: async (source, row = {}, timezone = 'UTC') => (await values(source, [row], timezone))[0] ?? null,
  };
}
