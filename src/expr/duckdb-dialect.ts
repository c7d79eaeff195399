/**
 * The DuckDB dialect (ICU built in). Notes on the DuckDB behaviour each choice works around:
 * - integer literals are INTEGER (32-bit) unless cast, and INTEGER arithmetic overflows: always BIGINT;
 * - DECIMAL / DECIMAL is DOUBLE, `round()` on DECIMAL is half away from zero and `round_even()` is
 *   DOUBLE, casting to fewer decimals rounds silently: hence the exact `divide` and `roundHalfEven`;
 * - DuckDB has no LET: a value used several times is bound with a one-element `list_transform`
 *   lambda (about 30 ns a row), so nested divisions do not grow the SQL exponentially;
 * - `CAST(ts AS TIMESTAMPTZ)` depends on the session time zone, so zone conversions name 'UTC'.
 */
import type { ValueType } from './api.js';
import type { NameSource, SqlDialect, SqlValue, TimePart } from './dialect.js';

/**
 * Text to DECIMAL(precision, scale) exactly as `TRY_CAST` does it (NULL when the text is no number), but fast:
 * DuckDB 1.5 converts text to a DECIMAL wider than 18 digits about a hundred times slower than to one of 18 or
 * fewer (4 µs a value: 15 s of two threads for 10 M quantities declared `decimal`, against 0.16 s). A value that
 * fits 18 digits takes the narrow cast and is widened, which is exact; only the others take the wide cast.
 */
export function tryCastDecimal(text: string, precision: number, scale: number): string {
  return narrowFirst(text, precision, scale, `TRY_CAST(${text} AS DECIMAL(${precision}, ${scale}))`);
}

/** Text to DECIMAL(precision, scale) as `CAST` does it (an error when the text is no number), fast as `tryCastDecimal`. */
export function castDecimal(text: string, precision: number, scale: number): string {
  return narrowFirst(text, precision, scale, `CAST(${text} AS DECIMAL(${precision}, ${scale}))`);
}

/**
 * `wide` (a cast of `text` to the wide DECIMAL), tried only where the narrow cast gives NULL. Text with an
 * exponent always takes the wide cast: there the narrow one drops digits past the 18th instead of rounding them.
 */
function narrowFirst(text: string, precision: number, scale: number, wide: string): string {
  if (precision <= 18 || scale > 18) return wide;
  const narrow = `CAST(TRY_CAST(${text} AS DECIMAL(18, ${scale})) AS DECIMAL(${precision}, ${scale}))`;
  return `coalesce(CASE WHEN NOT (contains(${text}, 'e') OR contains(${text}, 'E')) THEN ${narrow} END, ${wide})`;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** `10^-scale` as an exact literal: the value of one unit in the last place. */
function unit(scale: number, negative = false): string {
  const text = scale === 0 ? '1' : `0.${'0'.repeat(scale - 1)}1`;
  return `CAST('${negative ? '-' : ''}${text}' AS DECIMAL(38, ${scale}))`;
}

function sqlType(t: ValueType): string {
  switch (t.kind) {
    case 'string':
      return 'VARCHAR';
    case 'integer':
      return 'BIGINT';
    case 'decimal':
      return `DECIMAL(38, ${t.scale})`;
    case 'timestamp':
      return 'TIMESTAMP';
    case 'boolean':
      return 'BOOLEAN';
    case 'null':
      return 'VARCHAR';
    case 'list':
      return `${sqlType(t.element)}[]`;
  }
}

/** Nested one-element lambdas: `list_transform([v], lambda "$1": body)[1]`. */
function bind(values: readonly string[], body: (refs: string[]) => string, names: NameSource): string {
  const refs = values.map(() => quoteIdent(names.fresh()));
  let sql = body(refs);
  for (let i = values.length - 1; i >= 0; i--) {
    sql = `list_transform([${values[i]}], lambda ${refs[i]}: ${sql})[1]`;
  }
  return sql;
}

/** A one-value `bind`: `const let1 = binder(names); let1(expensive, (v) => \`${v} * ${v}\`)`. */
function binder(names: NameSource): (value: string, body: (ref: string) => string) => string {
  return (value, body) => bind([value], ([ref]) => body(ref!), names);
}

/** Binds the values that are expensive to repeat; simple ones (columns, literals) are used as they are. */
function bindComplex(values: readonly SqlValue[], body: (refs: string[]) => string, names: NameSource): string {
  const complex = values.filter((v) => !v.simple);
  return bind(
    complex.map((v) => v.sql),
    (refs) => {
      let i = 0;
      return body(values.map((v) => (v.simple ? v.sql : refs[i++]!)));
    },
    names,
  );
}

/**
 * Exact `a / b` at `scale` places, half-even, with no HUGEINT division (which costs ~200 ns a value in
 * DuckDB). With n = |a| and m = |b| * 10^-scale, the answer is n / m rounded to an integer:
 * - a DOUBLE estimate q of n / m, checked with the exact DECIMAL remainder r = n - q * m: when
 *   -m < r < m (every quotient below ~2^50 units), q + r/m is exact and r decides floor and half-even;
 * - otherwise two more estimates, each correcting the last from its exact remainder (each gains ~50
 *   bits), bring q within one unit for every quotient DECIMAL(38) can hold. Should they not, the query
 *   fails rather than return a wrong value.
 * Limit: the remainder needs |a| * 10^(scale + scale of b) < 10^38, else DuckDB reports an overflow.
 */
function divide(num: SqlValue, den: SqlValue, scale: number, names: NameSource): string {
  const let1 = binder(names);
  return bindComplex(
    [num, den],
    ([a, b]) => {
      const exact = let1(`abs(${a})`, (n) =>
        let1(`abs(${b}) * ${unit(scale)}`, (m) => {
          const estimate = (x: string) => `CAST(CAST(${x} AS DOUBLE) / CAST(${m} AS DOUBLE) AS DECIMAL(38, 0))`;
          const remainder = (q: string) => `${n} - ${q} * ${m}`;
          // q + r/m is the exact quotient and -m < r < m: round its floor half-even.
          const finish = (q: string, r: string) => {
            const roundUp = (floor: string, rem: string) =>
              `CASE WHEN 2 * ${rem} > ${m} THEN 1 WHEN 2 * ${rem} < ${m} THEN 0 ELSE ${floor} % 2 END`;
            return `CASE WHEN ${r} < 0 THEN ${q} - 1 + ${roundUp(`(${q} - 1)`, `(${r} + ${m})`)} ELSE ${q} + ${roundUp(q, r)} END`;
          };
          const refined = (q0: string, r0: string) =>
            let1(`${q0} + ${estimate(r0)}`, (q1) =>
              let1(`${q1} + ${estimate(remainder(q1))}`, (q) =>
                let1(remainder(q), (r) =>
                  `CASE WHEN ${r} <= -${m} OR ${r} >= ${m} THEN error('tally: inexact division estimate') ELSE ${finish(q, r)} END`,
                ),
              ),
            );
          return let1(estimate(n), (q0) =>
            let1(remainder(q0), (r0) => `CASE WHEN ${r0} > -${m} AND ${r0} < ${m} THEN ${finish(q0, r0)} ELSE ${refined(q0, r0)} END`),
          );
        }),
      );
      const sign = `CASE WHEN (${a} < 0) <> (${b} < 0) THEN ${unit(scale, true)} ELSE ${unit(scale)} END`;
      return `CASE WHEN ${a} IS NULL OR ${b} IS NULL OR ${b} = 0 THEN NULL ELSE CAST(${exact} AS DECIMAL(38, 0)) * ${sign} END`;
    },
    names,
  );
}

/**
 * Half-even rounding of a DECIMAL to a smaller scale. DuckDB's `round()` on DECIMAL is exact but half
 * away from zero, and slow (a HUGEINT division per value), so the common case avoids it: a DOUBLE
 * estimate q of the rounded value, checked with the exact remainder x - q. Within half a unit, q is the
 * answer; at exactly half, the even neighbour is; beyond (values past ~2^50 units), `round()` decides.
 */
function roundHalfEven(x: SqlValue, scale: number, names: NameSource): string {
  const let1 = binder(names);
  const one = unit(scale);
  const half = `CAST('${scale === 0 ? '0.5' : `0.${'0'.repeat(scale)}5`}' AS DECIMAL(38, ${scale + 1}))`;
  const isEven = (q: string) => `${q} % CAST('${scale === 0 ? '2' : `0.${'0'.repeat(scale - 1)}2`}' AS DECIMAL(38, ${scale})) = 0`;
  return bindComplex(
    [x],
    ([v]) => {
      const viaRound = let1(`round(${v}, ${scale})`, (r) =>
        // round() went away from zero; on an exact tie to an odd digit, step back towards zero.
        `CASE WHEN abs(${v} - ${r}) <> ${half} OR ${isEven(r)} THEN ${r} ELSE ${r} - sign(${v}) * ${one} END`,
      );
      const estimate = `CAST(CAST(${v} AS DOUBLE) * CAST(1e${scale} AS DOUBLE) AS DECIMAL(38, 0)) * ${one}`;
      const rounded = let1(estimate, (q) =>
        let1(`${v} - ${q}`, (r) =>
          `CASE WHEN abs(${r}) < ${half} THEN ${q} ` +
          `WHEN abs(${r}) = ${half} THEN CASE WHEN ${isEven(q)} THEN ${q} ELSE ${q} + sign(${r}) * ${one} END ` +
          `ELSE ${viaRound} END`,
        ),
      );
      return `CAST(${rounded} AS DECIMAL(38, ${scale}))`;
    },
    names,
  );
}

/** Text patterns accepted by parseDecimal/parseInteger: plain notation, surrounding spaces allowed. */
function decimalPattern(scale: number): string {
  const fraction = scale > 0 ? `(\\.[0-9]{0,${scale}})?|\\.[0-9]{1,${scale}}` : '\\.?';
  return ` *[+-]?([0-9]+${fraction}) *`;
}

function timePartSql(part: TimePart, ts: string): string {
  const fn = part === 'weekday' ? 'isodow' : part;
  return `${fn}(${ts})`;
}

function toLocal(ts: string, zone: string): string {
  return `timezone(${quoteString(zone)}, timezone('UTC', ${ts}))`;
}

function fromLocal(local: string, zone: string): string {
  return `timezone('UTC', timezone(${quoteString(zone)}, ${local}))`;
}

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  quoteIdent,
  quoteString,
  integerLiteral: (text) => `CAST(${text} AS BIGINT)`,
  decimalLiteral: (text, scale) => `CAST(${quoteString(text)} AS DECIMAL(38, ${scale}))`,
  booleanLiteral: (value) => (value ? 'TRUE' : 'FALSE'),
  sqlType,
  typedNull: (t) => (t.kind === 'null' ? 'NULL' : `CAST(NULL AS ${sqlType(t)})`),
  widen: (sql, to) => `CAST(${sql} AS ${sqlType(to)})`,
  bind,

  divide,
  roundHalfEven,
  rescaleExactly: (x, scale, names) =>
    bindComplex([x], ([v]) => `CASE WHEN ${v} % ${unit(scale)} = 0 THEN CAST(${v} AS DECIMAL(38, ${scale})) END`, names),
  decimalToInteger: (x, names) => bindComplex([x], ([v]) => `CASE WHEN ${v} % 1 = 0 THEN TRY_CAST(${v} AS BIGINT) END`, names),

  concat: (parts) => `(${parts.join(' || ')})`,
  concatSkippingNulls: (parts) => `concat(${parts.join(', ')})`,
  startsWith: (s, prefix) => `starts_with(${s}, ${prefix})`,
  endsWith: (s, suffix) => `ends_with(${s}, ${suffix})`,
  contains: (s, part) => `contains(${s}, ${part})`,
  regexFullMatch: (s, pattern) => `regexp_full_match(${s}, ${quoteString(pattern)})`,
  least: (args) => `least(${args.join(', ')})`,
  greatest: (args) => `greatest(${args.join(', ')})`,

  parseDecimal: (text, scale, names) =>
    bindComplex(
      [text],
      ([t]) => `CASE WHEN regexp_full_match(${t}, ${quoteString(decimalPattern(scale))}) THEN ${tryCastDecimal(`trim(${t})`, 38, scale)} END`,
      names,
    ),
  parseInteger: (text, names) =>
    bindComplex([text], ([t]) => `CASE WHEN regexp_full_match(${t}, ' *[+-]?[0-9]+ *') THEN TRY_CAST(trim(${t}) AS BIGINT) END`, names),
  toText: (x) => {
    switch (x.type.kind) {
      case 'string':
        return x.sql;
      case 'timestamp':
        return `strftime(${x.sql}, '%Y-%m-%dT%H:%M:%S.%fZ')`;
      default:
        return `CAST(${x.sql} AS VARCHAR)`;
    }
  },

  toLocal,
  fromLocal,
  timePart: timePartSql,
  dateTrunc: (unitName, ts) => `date_trunc('${unitName}', ${ts})`,
  dateTruncInZone: (unitName, ts, zone, names) => {
    if (unitName !== 'hour') return fromLocal(`date_trunc('${unitName}', ${toLocal(ts, zone)})`, zone);
    // Local hours can repeat when clocks go back, so going back from local time would be ambiguous:
    // subtract the time elapsed since the local hour began from the instant itself instead.
    const let1 = binder(names);
    return let1(ts, (t) => let1(toLocal(t, zone), (l) => `(${t} - (${l} - date_trunc('hour', ${l})))`));
  },
  formatTime: (ts, format) => `strftime(${ts}, ${quoteString(format)})`,
  parseTime: (text, format) => `try_strptime(${text}, ${quoteString(format)})`,
  parseTimeWithOffset: (text, format) => `timezone('UTC', try_strptime(${text}, ${quoteString(format)}))`,
};
