/**
 * How the plan's own SQL (everything around expressions: typing text fields, periods, time-of-day bands, line
 * ids, the mediation chain's plumbing) is spelled for one engine, with capability flags saying what the engine
 * can do, as Kysely's `Dialect` and Malloy's `dialect/` do. Expressions go through `expr` (src/expr/dialect.ts).
 *
 * The DuckDB implementation delegates to src/engine/duckdb, so the SQL DuckDB runs is what it always was;
 * the Snowflake one is in snowflake-plan-dialect.ts. A feature an engine cannot run is refused by name when
 * the plan is compiled (`EngineCapabilityError`), never emitted as SQL that fails later.
 */
import type { DialectName, SqlDialect } from '../expr/dialect.js';
import type { FieldType, Period, TimeBand } from '../ruleset/ir.js';

export interface PlanCapabilities {
  /** Reads input and reference files itself (DuckDB's read_csv / read_parquet); otherwise it reads tables. */
  canReadFiles: boolean;
  /** Runs outcome-only stages and dedupe as UPDATEs of a materialized table (DuckDB rowid); otherwise one SELECT chain. */
  supportsUpdateInPlace: boolean;
  /** QUALIFY filters rows on window functions. */
  hasQualify: boolean;
  /** Aggregates with their own ORDER BY (DuckDB `last(x ORDER BY t)`); otherwise `latest` goes through a window. */
  orderedAggregates: boolean;
  /** Decimals a product keeps exactly: an expression needing more is refused (Snowflake: 12). */
  maxProductScale: number;
  /** Per-event percentage charges (their products need 24 decimals). */
  percentageCharges: boolean;
}

export interface PlanDialect {
  readonly name: DialectName;
  readonly expr: SqlDialect;
  readonly capabilities: PlanCapabilities;
  ident(name: string): string;
  literal(text: string): string;
  sqlType(t: FieldType): string;
  /** Strict text-to-type conversion: NULL unless the text is exactly a value of the type (no silent rounding). */
  castText(text: string, t: FieldType): string;
  /** Any value as text, for keys and dimensions. */
  asText(sql: string): string;
  /** A UTC instant literal from ISO text (price version boundaries, contract terms). */
  timestampLiteral(text: string): string;
  /** Local start of the period holding UTC timestamp `ts` in `tz`. */
  localPeriodStart(ts: string, period: Period, tz: string): string;
  /** UTC start and end (timestamps) and label (text) of a period, from its local start. */
  periodBounds(local: string, period: Period, tz: string): { start: string; end: string; label: string };
  /** A period bound as text: `2026-10-01 00:00:00` (it is part of the line id, so both engines write the same). */
  boundText(ts: string): string;
  /** An event time as text with microseconds: `2026-10-01 13:45:00.000000`. */
  eventTimeText(ts: string): string;
  /** The time-of-day band of each event: first matching band, else the default. */
  timeBand(ts: string, tz: string, bands: TimeBand[], defaultBand: string): string;
  /** Condition: the key (one column, or a tuple) is NULL or not among `combos` (literal text values). */
  notAmong(keys: string[], combos: string[][]): string;
  /** The deterministic 24-hex-digit line id of its parts (text SQL, none NULL). */
  lineId(parts: string[]): string;
  /** A character that cannot occur in data, standing for NULL in line ids. */
  readonly nullChar: string;
  /** Whole seconds from `from` to `to` (timestamps). */
  secondsBetween(from: string, to: string): string;
  /** Part `i` (1-based) of `text` split on the literal `separator`. */
  splitPart(text: string, separator: string, i: number): string;
  /** A relation `AS __s(__i)` of the integers 0 .. n-1 (split's children). */
  series(n: number): string;
  /** The window frame of a running total. */
  readonly runningFrame: string;
}

/** A feature the ruleset uses that the engine cannot run (yet). The message names both. */
export class EngineCapabilityError extends Error {
  constructor(
    readonly engine: DialectName,
    readonly feature: string,
    readonly hint?: string,
  ) {
    super(`the ${engine} engine cannot run ${feature}`);
  }
}
