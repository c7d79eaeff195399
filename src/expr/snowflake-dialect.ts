/**
 * The Snowflake dialect. Notes on the Snowflake behaviour each choice works around:
 * - string literals treat `\` as an escape character, so quoting doubles backslashes (a regex `\d` stays `\d`)
 *   and writes control characters as `\xHH` (the outcome separator U+001F reads as `'\x1f'`);
 * - NUMBER arithmetic is exact, but a product keeps only min(s1 + s2, max(s1, s2, 12)) decimals and a quotient
 *   max(s1, min(s1 + 6, 12)): the exact `divide` below works on a remainder (MOD is exact), and products
 *   beyond 12 decimals are refused when a plan is compiled (see plan/snowflake-plan.ts);
 * - ROUND(x, s, 'HALF_TO_EVEN') is exact on NUMBER;
 * - GREATEST/LEAST are NULL when any argument is: the *_IGNORE_NULLS forms keep the language's rule;
 * - TIMESTAMP may map to any flavour (TIMESTAMP_TYPE_MAPPING): always TIMESTAMP_NTZ, UTC wall-clock;
 * - DATE_TRUNC('week') depends on WEEK_START: weeks are computed from DAYOFWEEKISO instead;
 * - there is no LET or lambda binding for scalars: `bind` repeats the value (expressions with deeply nested
 *   divisions grow; the common cases, columns and literals, are short).
 * Format strings are strftime (as in the language) and translated here; specifiers Snowflake cannot
 * express are refused with an error naming them.
 */
import type { ValueType } from './api.js';
import type { SqlDialect, SqlValue, TimePart, TruncUnit } from './dialect.js';

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** `'text'`: quotes doubled, backslashes doubled, control characters as `\xHH`. */
function quoteString(s: string): string {
  const body = s
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "''")
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `'${body}'`;
}

/** `10^-scale` as an exact literal. */
function unit(scale: number): string {
  return `CAST('${scale === 0 ? '1' : `0.${'0'.repeat(scale - 1)}1`}' AS NUMBER(38, ${scale}))`;
}

function sqlType(t: ValueType): string {
  switch (t.kind) {
    case 'string':
    case 'null':
      return 'VARCHAR';
    case 'integer':
      return 'BIGINT';
    case 'decimal':
      return `NUMBER(38, ${t.scale})`;
    case 'timestamp':
      return 'TIMESTAMP_NTZ';
    case 'boolean':
      return 'BOOLEAN';
    case 'list':
      return 'ARRAY';
  }
}

/** No binding construct: each reference is the (parenthesized) value itself. */
function bind(values: readonly string[], body: (refs: string[]) => string): string {
  return body(values.map((v) => `(${v})`));
}

/** The value as SQL that is safe to repeat: simple values as they are, others parenthesized. */
const ref = (v: SqlValue) => (v.simple ? v.sql : `(${v.sql})`);

/**
 * Exact `a / b` at `scale` places, half-even. With n = |a| * 10^scale (multiplying by an integer keeps a's
 * scale, so nothing is lost) and m = |b|: r = MOD(n, m) is exact, (n - r) / m is the exact floor of the
 * quotient (an integer, so Snowflake's quotient scale cannot round it), and r against m / 2 rounds it half-even.
 * NULLIF makes a zero divisor give NULL throughout, as the language requires.
 */
function divide(num: SqlValue, den: SqlValue, scale: number): string {
  const a = ref(num);
  const b = ref(den);
  const n = `(ABS(${a}) * 1${'0'.repeat(scale)})`;
  const m = `NULLIF(ABS(${b}), 0)`;
  const r = `MOD(${n}, ${m})`;
  const floor = `((${n} - ${r}) / ${m})`;
  const up = `CASE WHEN 2 * ${r} > ${m} THEN 1 WHEN 2 * ${r} < ${m} THEN 0 ELSE MOD(${floor}, 2) END`;
  const sign = `CASE WHEN (${a} < 0) <> (${b} < 0) THEN -1 ELSE 1 END`;
  return `(CAST(${floor} + ${up} AS NUMBER(38, 0)) * ${sign} * ${unit(scale)})`;
}

/** Text patterns accepted by parseDecimal/parseInteger: plain notation, surrounding spaces allowed. */
export function plainDecimalPattern(scale: number): string {
  const fraction = scale > 0 ? `(\\.[0-9]{0,${scale}})?|\\.[0-9]{1,${scale}}` : '\\.?';
  return ` *[+-]?([0-9]+${fraction}) *`;
}

const INT64 = 'BETWEEN -9223372036854775808 AND 9223372036854775807';

function timePartSql(part: TimePart, ts: string): string {
  const fn = { hour: 'HOUR', minute: 'MINUTE', weekday: 'DAYOFWEEKISO', day: 'DAY', month: 'MONTH', year: 'YEAR' }[part];
  return `${fn}(${ts})`;
}

function dateTrunc(unitName: TruncUnit, ts: string): string {
  // Monday-based whatever the session's WEEK_START.
  if (unitName === 'week') return `DATEADD('day', 1 - DAYOFWEEKISO(${ts}), DATE_TRUNC('day', ${ts}))`;
  return `DATE_TRUNC('${unitName}', ${ts})`;
}

const toLocal = (ts: string, zone: string) => `CONVERT_TIMEZONE('UTC', ${quoteString(zone)}, ${ts})`;
const fromLocal = (local: string, zone: string) => `CONVERT_TIMEZONE(${quoteString(zone)}, 'UTC', ${local})`;

// strftime → Snowflake --------------------------------------------------------------------------------------------

/** Specifiers Snowflake's format elements express directly (for formatting and parsing). */
const ELEMENTS: Readonly<Record<string, string>> = {
  Y: 'YYYY', m: 'MM', d: 'DD', H: 'HH24', M: 'MI', S: 'SS', y: 'YY', b: 'MON', B: 'MMMM', a: 'DY', p: 'AM', I: 'HH12',
  f: 'FF6', g: 'FF3', n: 'FF9', T: 'HH24:MI:SS', x: 'YYYY-MM-DD', X: 'HH24:MI:SS', c: 'YYYY-MM-DD HH24:MI:SS',
};

const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** Specifiers written as expressions over the timestamp when formatting. */
function computedPiece(spec: string, ts: string): string | undefined {
  const text = (x: string) => `CAST(${x} AS VARCHAR)`;
  const pad = (x: string, n: number) => `LPAD(${text(x)}, ${n}, '0')`;
  switch (spec) {
    case 'j': return pad(`DAYOFYEAR(${ts})`, 3);
    case '-j': return text(`DAYOFYEAR(${ts})`);
    case 'u': return text(`DAYOFWEEKISO(${ts})`);
    case 'w': return text(`MOD(DAYOFWEEKISO(${ts}), 7)`);
    case 'V': return pad(`WEEKISO(${ts})`, 2);
    case 'G': return text(`YEAROFWEEKISO(${ts})`);
    // Weeks of the year starting on the first Sunday (%U) or Monday (%W); days before it are week 0.
    case 'U': return pad(`FLOOR((DAYOFYEAR(${ts}) + 6 - MOD(DAYOFWEEKISO(${ts}), 7)) / 7)`, 2);
    case 'W': return pad(`FLOOR((DAYOFYEAR(${ts}) + 7 - DAYOFWEEKISO(${ts})) / 7)`, 2);
    case 'A': return `DECODE(DAYOFWEEKISO(${ts}), ${DAY_NAMES.map((d, i) => `${i + 1}, '${d}'`).join(', ')})`;
    case '-d': return text(`DAY(${ts})`);
    case '-m': return text(`MONTH(${ts})`);
    case '-y': return text(`MOD(YEAR(${ts}), 100)`);
    case '-H': return text(`HOUR(${ts})`);
    case '-I': return text(`MOD(HOUR(${ts}) + 11, 12) + 1`);
    case '-M': return text(`MINUTE(${ts})`);
    case '-S': return text(`SECOND(${ts})`);
    default: return undefined;
  }
}

type Token = { literal: string } | { spec: string };

function tokenize(format: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      out.push({ literal: c });
      continue;
    }
    const next = format[i + 1];
    if (next === '%') out.push({ literal: '%' }), (i += 1);
    else if (next === '-') out.push({ spec: `-${format[i + 2] ?? ''}` }), (i += 2);
    else out.push({ spec: next ?? '' }), (i += 1);
  }
  return out;
}

/** Literal text inside a Snowflake format string: double-quoted (it has no way to escape a double quote). */
function formatLiteral(text: string): string | undefined {
  if (text.includes('"')) return undefined;
  return /^[-:/ .,]*$/.test(text) ? text : `"${text}"`;
}

/** A format the dialect cannot translate (the plan compiler reports it as a capability the engine lacks). */
export class UnsupportedFormat extends Error {
  constructor(spec: string, use: string) {
    super(`the strftime specifier %${spec} in ${use} has no Snowflake equivalent`);
  }
}

/** A strftime format as one Snowflake format string (for parsing); `zoneElement` stands for %z. */
function inputFormat(format: string, zoneElement: string | null): string {
  let out = '';
  let literal = '';
  const flush = () => {
    if (!literal) return;
    const f = formatLiteral(literal);
    if (f === undefined) throw new UnsupportedFormat('"', 'a parsing format (a double quote)');
    out += f;
    literal = '';
  };
  for (const t of tokenize(format)) {
    if ('literal' in t) {
      literal += t.literal;
      continue;
    }
    flush();
    const el = t.spec === 'z' && zoneElement ? zoneElement : ELEMENTS[t.spec];
    if (!el) throw new UnsupportedFormat(t.spec, 'a parsing format');
    // Fractions of any length are read by FF.
    out += /^FF\d$/.test(el) ? 'FF' : el;
  }
  flush();
  return out;
}

/** strftime formatting as a concatenation: runs of elements in one TO_VARCHAR, other specifiers computed. */
function formatTime(ts: string, format: string): string {
  const pieces: string[] = [];
  let run = '';
  const flushRun = () => {
    if (run) pieces.push(`TO_VARCHAR(${ts}, ${quoteString(run)})`);
    run = '';
  };
  for (const t of tokenize(format)) {
    if ('literal' in t) {
      const f = formatLiteral(t.literal);
      if (f !== undefined) run += f;
      else flushRun(), pieces.push(quoteString(t.literal));
      continue;
    }
    const el = ELEMENTS[t.spec];
    if (el) {
      run += el;
      continue;
    }
    const computed = computedPiece(t.spec, ts);
    if (!computed) throw new UnsupportedFormat(t.spec, 'format_time');
    flushRun();
    pieces.push(computed);
  }
  flushRun();
  if (!pieces.length) return `CASE WHEN ${ts} IS NOT NULL THEN '' END`;
  return pieces.length === 1 ? pieces[0]! : `(${pieces.join(' || ')})`;
}

function parseTimeWithOffset(text: string, format: string): string {
  if (/%Z/.test(format)) throw new UnsupportedFormat('Z', 'a parsing format (zone names)');
  // %z reads +02:00 as well as +0200: try both layouts.
  const tries = ['TZH:TZM', 'TZHTZM'].map((z) => `TRY_TO_TIMESTAMP_TZ(${text}, ${quoteString(inputFormat(format, z))})`);
  return `CAST(CONVERT_TIMEZONE('UTC', COALESCE(${tries.join(', ')})) AS TIMESTAMP_NTZ)`;
}

export const snowflakeDialect: SqlDialect = {
  name: 'snowflake',
  quoteIdent,
  quoteString,
  integerLiteral: (text) => `CAST(${text} AS BIGINT)`,
  decimalLiteral: (text, scale) => `CAST(${quoteString(text)} AS NUMBER(38, ${scale}))`,
  booleanLiteral: (value) => (value ? 'TRUE' : 'FALSE'),
  sqlType,
  typedNull: (t) => (t.kind === 'null' ? 'NULL' : `CAST(NULL AS ${sqlType(t)})`),
  widen: (sql, to) => `CAST(${sql} AS ${sqlType(to)})`,
  bind,

  divide: (num, den, scale) => divide(num, den, scale),
  roundHalfEven: (x, scale) => `CAST(ROUND(${x.sql}, ${scale}, 'HALF_TO_EVEN') AS NUMBER(38, ${scale}))`,
  rescaleExactly: (x, scale) => `CASE WHEN MOD(${ref(x)}, ${unit(scale)}) = 0 THEN CAST(${ref(x)} AS NUMBER(38, ${scale})) END`,
  decimalToInteger: (x) => `CASE WHEN MOD(${ref(x)}, 1) = 0 AND ${ref(x)} ${INT64} THEN CAST(${ref(x)} AS BIGINT) END`,

  concat: (parts) => `(${parts.join(' || ')})`,
  concatSkippingNulls: (parts) => `(${parts.map((p) => `COALESCE(${p}, '')`).join(' || ')})`,
  startsWith: (s, prefix) => `STARTSWITH(${s}, ${prefix})`,
  endsWith: (s, suffix) => `ENDSWITH(${s}, ${suffix})`,
  contains: (s, part) => `CONTAINS(${s}, ${part})`,
  // REGEXP_LIKE matches the whole subject (it is implicitly anchored).
  regexFullMatch: (s, pattern) => `REGEXP_LIKE(${s}, ${quoteString(pattern)})`,
  least: (args) => `LEAST_IGNORE_NULLS(${args.join(', ')})`,
  greatest: (args) => `GREATEST_IGNORE_NULLS(${args.join(', ')})`,

  parseDecimal: (text, scale) =>
    `CASE WHEN REGEXP_LIKE(${ref(text)}, ${quoteString(plainDecimalPattern(scale))}) THEN TRY_TO_NUMBER(TRIM(${ref(text)}), 38, ${scale}) END`,
  parseInteger: (text) =>
    `CASE WHEN REGEXP_LIKE(${ref(text)}, ' *[+-]?[0-9]+ *') AND TRY_TO_NUMBER(TRIM(${ref(text)}), 38, 0) ${INT64} THEN TRY_TO_NUMBER(TRIM(${ref(text)}), 38, 0) END`,
  toText: (x) => {
    switch (x.type.kind) {
      case 'string':
        return x.sql;
      case 'timestamp':
        return `TO_VARCHAR(${x.sql}, 'YYYY-MM-DD"T"HH24:MI:SS.FF6"Z"')`;
      default:
        // NUMBER keeps its scale as text (1.500), booleans read true/false, as in DuckDB.
        return `CAST(${x.sql} AS VARCHAR)`;
    }
  },

  toLocal,
  fromLocal,
  timePart: timePartSql,
  dateTrunc,
  dateTruncInZone: (unitName, ts, zone) => {
    if (unitName !== 'hour') return fromLocal(dateTrunc(unitName, toLocal(ts, zone)), zone);
    // Local hours repeat when clocks go back: step back from the instant by the time since the local hour began.
    const local = toLocal(ts, zone);
    return `DATEADD('nanosecond', DATEDIFF('nanosecond', ${local}, DATE_TRUNC('hour', ${local})), ${ts})`;
  },
  formatTime,
  parseTime: (text, format) => (/%[zZ]/.test(format) ? parseTimeWithOffset(text, format) : `TRY_TO_TIMESTAMP_NTZ(${text}, ${quoteString(inputFormat(format, null))})`),
  parseTimeWithOffset,
};
