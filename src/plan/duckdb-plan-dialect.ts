/**
 * The plan dialect of DuckDB, the embedded engine: every piece delegates to src/engine/duckdb (or is the exact
 * text the plan always wrote), so `tally explain --sql` and the SQL runs execute are unchanged by the interface.
 */
import { duckdbDialect } from '../expr/dialect.js';
import { castText, quoteString, sqlType } from '../engine/duckdb/sql-types.js';
import { localPeriodStart, periodBoundsSql, timeBandSql } from '../engine/duckdb/time-sql.js';
import type { PlanDialect } from './sql-dialect.js';

export const duckdbPlanDialect: PlanDialect = {
  name: 'duckdb',
  expr: duckdbDialect,
  capabilities: {
    canReadFiles: true,
    supportsUpdateInPlace: true,
    hasQualify: true,
    orderedAggregates: true,
    maxProductScale: 18,
    percentageCharges: true,
  },
  ident: (name) => duckdbDialect.quoteIdent(name),
  literal: quoteString,
  sqlType,
  castText,
  asText: (sql) => `CAST(${sql} AS VARCHAR)`,
  timestampLiteral: (text) => `TIMESTAMP ${quoteString(text)}`,
  localPeriodStart,
  periodBounds: periodBoundsSql,
  boundText: (ts) => `CAST(${ts} AS VARCHAR)`,
  eventTimeText: (ts) => `strftime(${ts}, '%Y-%m-%d %H:%M:%S.%f')`,
  timeBand: (ts, tz, bands, defaultBand) => timeBandSql(ts, tz, bands, defaultBand),
  notAmong: (keys, combos) => {
    const one = keys.length === 1;
    const key = one ? keys[0]! : `row(${keys.join(', ')})`;
    const values = combos.map((c) => (one ? quoteString(c[0]!) : `row(${c.map(quoteString).join(', ')})`));
    return `(${key} IS NULL OR ${key} NOT IN (${values.join(', ') || 'NULL'}))`;
  },
  lineId: (parts) => `substr(sha256(concat_ws(chr(31), ${parts.join(', ')})), 1, 24)`,
  nullChar: 'chr(0)',
  secondsBetween: (from, to) => `CAST(epoch(${to}) - epoch(${from}) AS BIGINT)`,
  splitPart: (text, separator, i) => `split_part(${text}, ${quoteString(separator)}, ${i})`,
  series: (n) => `range(${n}) AS __s(__i)`,
  runningFrame: 'ROWS UNBOUNDED PRECEDING',
};
