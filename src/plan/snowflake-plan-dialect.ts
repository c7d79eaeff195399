/**
 * The plan dialect of Snowflake (pushdown where the data lives). Conversions are as strict as DuckDB's
 * `castText` (src/engine/duckdb/sql-types.ts): text that is not exactly a value of the type gives NULL, never
 * a rounded or reinterpreted value. Snowflake's TRY_TO_NUMBER would round extra decimals and its AUTO timestamp
 * reader takes epoch numbers and RFC dates, so a shape check comes first.
 *
 * The script sets the session (TIMEZONE = 'UTC' and the timestamp output formats) in its first statement,
 * as the DuckDB engine sets its session time zone to UTC: timestamps without an offset are UTC, and a native
 * timestamp column read as text has one layout.
 */
import { snowflakeDialect, plainDecimalPattern } from '../expr/snowflake-dialect.js';
import { timeBandSql, toLocal, fromLocal } from '../engine/duckdb/time-sql.js';
import type { FieldType, Period } from '../ruleset/ir.js';
import type { PlanDialect } from './sql-dialect.js';

const d = snowflakeDialect;
const literal = (s: string) => d.quoteString(s);

function sqlType(t: FieldType): string {
  switch (t.kind) {
    case 'string':
      return 'VARCHAR';
    case 'decimal':
      return `NUMBER(${t.precision}, ${t.scale})`;
    case 'integer':
      return 'BIGINT';
    case 'timestamp':
      return 'TIMESTAMP_NTZ';
    case 'boolean':
      return 'BOOLEAN';
  }
}

function castText(text: string, t: FieldType): string {
  switch (t.kind) {
    case 'string':
      return text;
    case 'decimal':
      return `CASE WHEN REGEXP_LIKE(${text}, ${literal(plainDecimalPattern(t.scale))}) THEN TRY_TO_NUMBER(TRIM(${text}), ${t.precision}, ${t.scale}) END`;
    case 'integer':
      // As DuckDB: up to 18 digits, a trailing dot allowed, no exponent, no decimals.
      return `CASE WHEN REGEXP_LIKE(${text}, ${literal(' *[+-]?[0-9]+\\.? *')}) THEN TRY_TO_NUMBER(TRIM(${text}), 18, 0) END`;
    case 'boolean':
      return `CASE lower(trim(${text})) WHEN 'true' THEN true WHEN 't' THEN true WHEN '1' THEN true WHEN 'yes' THEN true WHEN 'false' THEN false WHEN 'f' THEN false WHEN '0' THEN false WHEN 'no' THEN false END`;
    case 'timestamp':
      if (!t.format) {
        // ISO 8601, with or without an offset (none means UTC: the session's zone). The shape check keeps out
        // what Snowflake's AUTO reader would also take: epoch numbers, RFC and month-name dates.
        return `CASE WHEN REGEXP_LIKE(TRIM(${text}), '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?') THEN CAST(CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(TRIM(${text}))) AS TIMESTAMP_NTZ) END`;
      }
      if (t.format === '%Y-%m-%d %H:%M:%S') {
        return `CASE WHEN ${text} LIKE '____-__-__ __:__:__' AND NOT (${text} LIKE '% 24:%') THEN TRY_TO_TIMESTAMP_NTZ(${text}, 'YYYY-MM-DD HH24:MI:SS') END`;
      }
      return /%[zZ]/.test(t.format) ? d.parseTimeWithOffset(text, t.format) : d.parseTime(text, t.format);
  }
}

const ADD: Record<Period, [string, number]> = { hour: ['hour', 1], day: ['day', 1], week: ['day', 7], month: ['month', 1], quarter: ['month', 3], year: ['year', 1] };

/** Same labels as DuckDB: `2026-10`, `2026-10-05`, `2026-10-05T13`, `2026-W41`, `2026-Q4`, `2026`. */
function periodLabel(local: string, period: Period): string {
  switch (period) {
    case 'hour':
      return `TO_VARCHAR(${local}, 'YYYY-MM-DD"T"HH24')`;
    case 'day':
      return `TO_VARCHAR(${local}, 'YYYY-MM-DD')`;
    case 'week':
      return `(CAST(YEAROFWEEKISO(${local}) AS VARCHAR) || '-W' || LPAD(CAST(WEEKISO(${local}) AS VARCHAR), 2, '0'))`;
    case 'month':
      return `TO_VARCHAR(${local}, 'YYYY-MM')`;
    case 'quarter':
      return `(TO_VARCHAR(${local}, 'YYYY') || '-Q' || CAST(QUARTER(${local}) AS VARCHAR))`;
    case 'year':
      return `TO_VARCHAR(${local}, 'YYYY')`;
  }
}

export const snowflakePlanDialect: PlanDialect = {
  name: 'snowflake',
  expr: d,
  capabilities: {
    canReadFiles: false,
    supportsUpdateInPlace: false,
    hasQualify: true,
    orderedAggregates: false,
    maxProductScale: 12,
    percentageCharges: false,
  },
  ident: (name) => d.quoteIdent(name),
  literal,
  sqlType,
  castText,
  asText: (sql) => `CAST(${sql} AS VARCHAR)`,
  timestampLiteral: (text) => `CAST(CONVERT_TIMEZONE('UTC', TO_TIMESTAMP_TZ(${literal(text)})) AS TIMESTAMP_NTZ)`,
  localPeriodStart: (ts, period, tz) => d.dateTrunc(period, toLocal(ts, tz, d)),
  periodBounds: (local, period, tz) => {
    const [unit, n] = ADD[period];
    return {
      start: fromLocal(local, tz, d),
      end: fromLocal(`DATEADD('${unit}', ${n}, ${local})`, tz, d),
      label: periodLabel(local, period),
    };
  },
  boundText: (ts) => `TO_VARCHAR(${ts}, 'YYYY-MM-DD HH24:MI:SS')`,
  eventTimeText: (ts) => `TO_VARCHAR(${ts}, 'YYYY-MM-DD HH24:MI:SS.FF6')`,
  timeBand: (ts, tz, bands, defaultBand) => timeBandSql(ts, tz, bands, defaultBand, d),
  notAmong: (keys, combos) => {
    // A tuple with a NULL in it is never IN a list in Snowflake (the comparison is NULL): test each part.
    if (keys.length === 1) return `(${keys[0]} IS NULL OR ${keys[0]} NOT IN (${combos.map((c) => literal(c[0]!)).join(', ') || 'NULL'}))`;
    const values = combos.map((c) => `(${c.map(literal).join(', ')})`);
    return `(${keys.map((k) => `${k} IS NULL`).join(' OR ')} OR (${keys.join(', ')}) NOT IN (${values.join(', ') || `(${keys.map(() => 'NULL').join(', ')})`}))`;
  },
  lineId: (parts) => `SUBSTR(SHA2(CONCAT_WS(CHR(31), ${parts.join(', ')}), 256), 1, 24)`,
  nullChar: 'CHR(0)',
  // DuckDB's epoch difference rounded to whole seconds.
  secondsBetween: (from, to) => `CAST(ROUND(DATEDIFF('microsecond', ${from}, ${to}) / 1000000) AS BIGINT)`,
  splitPart: (text, separator, i) => `SPLIT_PART(${text}, ${literal(separator)}, ${i})`,
  series: (n) => `(VALUES ${Array.from({ length: n }, (_, i) => `(${i})`).join(', ')}) AS __s(__i)`,
  runningFrame: 'ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW',
};
