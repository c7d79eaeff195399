/**
 * The expression dialects by name: an explicit map (no registration by import side effect), as Malloy's
 * `dialect/dialect_map.ts`. Adding an engine means one object implementing `SqlDialect` and one entry here.
 */
import type { DialectName, SqlDialect } from './dialect.js';
import { duckdbDialect } from './duckdb-dialect.js';
import { snowflakeDialect } from './snowflake-dialect.js';

const DIALECTS: ReadonlyMap<DialectName, SqlDialect> = new Map([duckdbDialect, snowflakeDialect].map((d) => [d.name, d]));

export function getDialect(name: DialectName): SqlDialect {
  const d = DIALECTS.get(name);
  if (!d) throw new Error(`unknown SQL dialect "${name}"`);
  return d;
}

export function dialectNames(): DialectName[] {
  return [...DIALECTS.keys()];
}
