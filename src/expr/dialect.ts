/**
 * How expressions are written for one SQL engine. Adding an engine means writing one object that
 * implements this interface (see `duckdb-dialect.ts`); the type checker makes sure nothing is missing.
 *
 * The expression emitter decides *what* to compute (types, casts, the UTC fast path, the zone to use);
 * a dialect only says *how* its engine spells each operation. Conventions every method relies on:
 * - timestamps are UTC instants stored without a zone (`TIMESTAMP`); "local" means wall-clock time;
 * - decimals are exact (`DECIMAL(38, s)`), never floating point in the result;
 * - arguments are SQL fragments that are already parenthesized where it matters.
 */
import type { ValueType } from './api.js';

export type DialectName = 'duckdb' | 'snowflake';

/** A SQL fragment with its value type. `simple` fragments (columns, literals) are cheap to repeat. */
export interface SqlValue {
  sql: string;
  type: ValueType;
  simple: boolean;
}

/** Gives names for intermediate values that are unique within one emitted expression. */
export interface NameSource {
  fresh(): string;
}

export type TimePart = 'hour' | 'minute' | 'weekday' | 'day' | 'month' | 'year';
export type TruncUnit = 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';

export interface SqlDialect {
  readonly name: DialectName;

  // Names and literals -------------------------------------------------------------------------
  /** `"name"` with embedded quotes doubled. */
  quoteIdent(name: string): string;
  /** `'text'` with embedded quotes doubled. */
  quoteString(s: string): string;
  /** An integer literal (`text` is digits with an optional `-`), typed as a 64-bit integer. */
  integerLiteral(text: string): string;
  /** An exact decimal literal of the given scale, e.g. `CAST('0.0100' AS DECIMAL(38, 4))`. */
  decimalLiteral(text: string, scale: number): string;
  booleanLiteral(value: boolean): string;
  sqlType(t: ValueType): string;
  /** NULL typed as `t`, so CASE branches and function arguments keep their type. */
  typedNull(t: ValueType): string;
  /** A cast that keeps the value: integer to decimal, or decimal to a larger scale. */
  widen(sql: string, to: ValueType): string;
  /** Computes each value once and hands `body` references to them. */
  bind(values: readonly string[], body: (refs: string[]) => string, names: NameSource): string;

  // Exact arithmetic ---------------------------------------------------------------------------
  /** `num / den` exactly, rounded half-even to `scale` places; NULL when `den` is 0. */
  divide(num: SqlValue, den: SqlValue, scale: number, names: NameSource): string;
  /** A decimal rounded half-even to a smaller `scale`, result `DECIMAL(38, scale)`. */
  roundHalfEven(x: SqlValue, scale: number, names: NameSource): string;
  /** A decimal rescaled to `scale` when that loses nothing, else NULL. */
  rescaleExactly(x: SqlValue, scale: number, names: NameSource): string;
  /** A decimal as a 64-bit integer when it is a whole number that fits, else NULL. */
  decimalToInteger(x: SqlValue, names: NameSource): string;

  // Strings ------------------------------------------------------------------------------------
  /** Joined strings; NULL when any part is NULL (the `+` operator). */
  concat(parts: readonly string[]): string;
  /** Joined strings where NULL counts as empty (the `concat()` function). */
  concatSkippingNulls(parts: readonly string[]): string;
  startsWith(s: string, prefix: string): string;
  endsWith(s: string, suffix: string): string;
  contains(s: string, part: string): string;
  /** The whole of `s` matches `pattern` (a literal, already validated). */
  regexFullMatch(s: string, pattern: string): string;
  /** Smallest / largest non-NULL argument (NULL only when all are NULL). */
  least(args: readonly string[]): string;
  greatest(args: readonly string[]): string;

  // Conversions --------------------------------------------------------------------------------
  /** Text to `DECIMAL(38, scale)`; NULL unless it is plain decimal notation with at most `scale` decimals. */
  parseDecimal(text: SqlValue, scale: number, names: NameSource): string;
  /** Text to a 64-bit integer; NULL unless it is plain integer notation that fits. */
  parseInteger(text: SqlValue, names: NameSource): string;
  /** Any scalar as text: decimals keep their scale, timestamps are ISO 8601 UTC with microseconds. */
  toText(x: SqlValue): string;

  // Time ---------------------------------------------------------------------------------------
  /** Wall-clock time in `zone` of a UTC timestamp. */
  toLocal(ts: string, zone: string): string;
  /** The UTC instant of a wall-clock time in `zone`. */
  fromLocal(local: string, zone: string): string;
  /** A part of a (wall-clock) timestamp as a 64-bit integer; `weekday` is ISO (1 = Monday … 7 = Sunday). */
  timePart(part: TimePart, ts: string): string;
  /** Truncation of a timestamp with no zone involved (weeks start on Monday). */
  dateTrunc(unit: TruncUnit, ts: string): string;
  /** The UTC instant where the local `unit` containing UTC timestamp `ts` starts, in `zone`. */
  dateTruncInZone(unit: TruncUnit, ts: string, zone: string, names: NameSource): string;
  /** strftime-style formatting of a (wall-clock) timestamp. */
  formatTime(ts: string, format: string): string;
  /** strftime-style parsing of text with no zone in it: a wall-clock timestamp, NULL when it does not parse. */
  parseTime(text: string, format: string): string;
  /** strftime-style parsing of text carrying an offset or zone (`%z`/`%Z`): the UTC instant, or NULL. */
  parseTimeWithOffset(text: string, format: string): string;
}

export { duckdbDialect } from './duckdb-dialect.js';
