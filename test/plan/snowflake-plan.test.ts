/** The Snowflake dialects in detail: spellings that matter for exactness, and what the engine refuses, by name. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileExpr, emitSql, type ValueType } from '../../src/expr/index.js';
import { getDialect, dialectNames } from '../../src/expr/dialect-map.js';
import { snowflakeDialect } from '../../src/expr/snowflake-dialect.js';
import { EngineCapabilityError } from '../../src/plan/sql-dialect.js';
import { snowflakePlanDialect } from '../../src/plan/snowflake-plan-dialect.js';
import { compileSnowflakePlan } from '../../src/plan/snowflake-plan.js';
import { ROOT, tally } from '../helpers/cli.js';
import { irOf, loadIr } from './helpers.js';

const scope = new Map<string, ValueType>([
  ['qty', { kind: 'decimal', scale: 3 }],
  ['rate', { kind: 'decimal', scale: 9 }],
  ['n', { kind: 'integer' }],
  ['s', { kind: 'string' }],
  ['ts', { kind: 'timestamp' }],
]);
const sf = (source: string, timezone = 'UTC') => {
  const { expr, problems } = compileExpr(source, scope, { timezone });
  expect(problems).toEqual([]);
  return emitSql(expr!, snowflakeDialect);
};

describe('Snowflake expression dialect', () => {
  it('is in the dialect map beside DuckDB', () => {
    expect(dialectNames()).toEqual(['duckdb', 'snowflake']);
    expect(getDialect('snowflake')).toBe(snowflakeDialect);
  });

  it('quotes strings for Snowflake, whose literals treat backslashes as escapes', () => {
    expect(snowflakeDialect.quoteString("it's \\d")).toBe("'it''s \\\\d'");
    expect(snowflakeDialect.quoteString('a\u001fb\nc')).toBe("'a\\x1fb\\x0ac'");
    expect(sf('matches(s, "\\\\d+")')).toBe("REGEXP_LIKE(\"s\", '\\\\d+')");
  });

  it('rounds half-even with ROUND(…, HALF_TO_EVEN) and keeps NUMBER(38, s)', () => {
    expect(sf('round(qty, 2)')).toBe(`CAST(ROUND("qty", 2, 'HALF_TO_EVEN') AS NUMBER(38, 2))`);
  });

  it('divides exactly through MOD, with NULL for a zero divisor', () => {
    const sql = sf('qty / n');
    expect(sql).toContain('MOD((ABS("qty") * 1000000000000), NULLIF(ABS(CAST("n" AS NUMBER(38, 0))), 0))');
    expect(sql).not.toContain('ROUND('); // no rounding function: the remainder decides
    expect(sql).toMatch(/\* CAST\('0\.000000000001' AS NUMBER\(38, 12\)\)\)$/);
  });

  it('keeps the language\'s null rules where Snowflake differs', () => {
    expect(sf('greatest(qty, n)')).toBe(`GREATEST_IGNORE_NULLS("qty", CAST("n" AS NUMBER(38, 3)))`);
    expect(sf('concat(s, "x")')).toBe(`(COALESCE("s", '') || COALESCE('x', ''))`);
  });

  it('works in the ruleset time zone, with ISO weeks whatever WEEK_START says', () => {
    expect(sf('hour(ts)', 'Europe/Paris')).toBe(`HOUR(CONVERT_TIMEZONE('UTC', 'Europe/Paris', "ts"))`);
    expect(sf('weekday(ts)')).toBe('DAYOFWEEKISO("ts")');
    expect(sf('date_trunc("week", ts)')).toBe(`DATEADD('day', 1 - DAYOFWEEKISO("ts"), DATE_TRUNC('day', "ts"))`);
  });

  it('translates strftime formats, computing what Snowflake formats lack', () => {
    expect(sf('format_time(ts, "%Y-%m-%dT%H:%M")')).toBe(`TO_VARCHAR("ts", 'YYYY-MM-DD"T"HH24:MI')`);
    expect(sf('format_time(ts, "%Y/%j")')).toBe(`(TO_VARCHAR("ts", 'YYYY/') || LPAD(CAST(DAYOFYEAR("ts") AS VARCHAR), 3, '0'))`);
    expect(sf('to_timestamp(s, "%d.%m.%Y %H:%M")')).toBe(`TRY_TO_TIMESTAMP_NTZ("s", 'DD.MM.YYYY HH24:MI')`);
    expect(sf('to_timestamp(s, "%Y-%m-%d %H:%M:%S%z")')).toContain(`TRY_TO_TIMESTAMP_TZ("s", 'YYYY-MM-DD HH24:MI:SSTZH:TZM')`);
  });
});

describe('Snowflake plan dialect', () => {
  it('casts text as strictly as DuckDB: plain decimals of at most the scale, ISO timestamps only', () => {
    const dec = snowflakePlanDialect.castText('"q"', { kind: 'decimal', precision: 18, scale: 3 });
    expect(dec).toBe(`CASE WHEN REGEXP_LIKE("q", ' *[+-]?([0-9]+(\\\\.[0-9]{0,3})?|\\\\.[0-9]{1,3}) *') THEN TRY_TO_NUMBER(TRIM("q"), 18, 3) END`);
    expect(snowflakePlanDialect.castText('"t"', { kind: 'timestamp', format: null })).toMatch(/^CASE WHEN REGEXP_LIKE\(TRIM\("t"\), '\[0-9\]\{4\}-/);
  });

  it('labels periods as DuckDB does, and ids lines with the same text', () => {
    const week = snowflakePlanDialect.periodBounds('l', 'week', 'UTC');
    expect(week.label).toBe(`(CAST(YEAROFWEEKISO(l) AS VARCHAR) || '-W' || LPAD(CAST(WEEKISO(l) AS VARCHAR), 2, '0'))`);
    expect(week.end).toBe(`DATEADD('day', 7, l)`);
    expect(snowflakePlanDialect.lineId(['a', 'b'])).toBe('SUBSTR(SHA2(CONCAT_WS(CHR(31), a, b), 256), 1, 24)');
  });
});

const base = (mediation: string, prices = '  - { charge: c, meter: m, model: unit, unit_price: "1" }', meter = 'm: { aggregation: sum, value: qty }') => `version: 1
name: t
input:
  fields:
    event_id: { type: string }
    account_id: { type: string }
    ts: { type: timestamp }
    qty: { type: "decimal(18,9)" }
    note: { type: string }
  event_id: event_id
  event_time: ts
billing: { account: account_id }
mediation:
${mediation}
meters:
  ${meter}
prices:
${prices}`;

function refusal(text: string, options = {}): string {
  try {
    compileSnowflakePlan(irOf(text), { source: 'DB.S.T', ...options });
  } catch (e) {
    expect(e).toBeInstanceOf(EngineCapabilityError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('what the Snowflake engine refuses, by name', () => {
  it('enrich until its reference table is staged', () => {
    const cloud = loadIr('rulesets/examples/cloud-api.yaml');
    expect(() => compileSnowflakePlan(cloud, { source: 'DB.S.T' })).toThrow(/cannot run stage accounts \(enrich from the file accounts\.csv\) until its reference table is staged/);
    expect(() => compileSnowflakePlan(cloud, { source: 'DB.S.T', referenceTables: { accounts: 'REF.ACCOUNTS' } })).not.toThrow();
  });

  it('products Snowflake would round (more than 12 decimals)', () => {
    expect(refusal(base(`  - derive: { fields: { sq: "qty * qty" } }`))).toMatch(/the expression "qty \* qty" in stage derive\[0\] \(a product with 18 decimals; Snowflake keeps 12 exactly\)/);
    expect(refusal(base('  - filter: { keep: "true" }', undefined, 'm: { aggregation: sum, value: "qty / 1024" }'))).toMatch(/meter m/);
  });

  it('percentage charges', () => {
    const prices = `  - charge: fees
    meter: m
    model: percentage
    percentage: { amount: qty, rate: "0.029" }`;
    expect(refusal(base('  - filter: { keep: "true" }', prices, 'm: { aggregation: count }'))).toMatch(/the percentage charge fees/);
  });

  it('time formats it cannot express', () => {
    expect(refusal(base(`  - derive: { fields: { z: 'to_timestamp(note, "%Y %j")' } }`))).toMatch(/%j in a parsing format has no Snowflake equivalent/);
  });

  it('table names that are not identifiers', () => {
    expect(() => compileSnowflakePlan(loadIr('rulesets/bench/s1.yaml'), { source: 'T; DROP TABLE X' })).toThrow(/is not a table name/);
  });
});

describe('tally explain --engine', () => {
  it('prints the Snowflake script with --sql --engine snowflake, and DuckDB stays the default', () => {
    const file = path.join(ROOT, 'rulesets/bench/s1.yaml');
    const r = tally(['explain', file, '--sql', '--engine', 'snowflake']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('-- snowflake script over the source table TALLY_SOURCE');
    expect(r.stdout).toContain('-- charge:egress_gb\nWITH __source AS (');
    expect(tally(['explain', file, '--sql']).stdout).toContain('read_csv(');
    const bad = tally(['explain', file, '--sql', '--engine', 'oracle']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown engine "oracle"/);
  });
});
