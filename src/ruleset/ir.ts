/**
 * The compiled, validated form of a ruleset (the IR). Produced by `compile-ruleset.ts` with no I/O beyond
 * reading the ruleset and its reference tables' headers; consumed by the plan builder and the engines.
 */
import type { TypedExpr } from '../expr/index.js';
import type { ChargeSpec } from '../pricing/types.js';
import type { PositionIR } from './compile-position.js';

export type FieldType =
  | { kind: 'string' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'integer' }
  | { kind: 'timestamp'; format: string | null }
  | { kind: 'boolean' };

export interface InputField {
  name: string;
  /** Column name in the file (defaults to the field name). */
  column: string;
  type: FieldType;
  required: boolean;
  /** Reject reason when the value does not parse as its type. */
  invalidReason: string;
  /** Reject reason when a required value is empty. */
  missingReason: string;
}

export type InputFormat = 'auto' | 'csv' | 'tsv' | 'jsonl' | 'parquet';

export interface CsvOptions {
  delimiter: string;
  quote: string;
  escape: string;
  header: boolean;
  /** Text that stands for NULL (besides the empty field). */
  nullText: string | null;
}

export interface InputSpec {
  format: InputFormat;
  csv: CsvOptions;
  fields: InputField[];
  eventId: string;
  eventTime: string;
}

export type Period = 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';

export interface StageIR {
  kind: string;
  /** Stable label used in counts and rejects: the stage's `name`, or `kind[index]`. */
  label: string;
  /** The stage's compiled body; its shape belongs to the stage definition. */
  body: unknown;
}

export type Aggregation = 'sum' | 'count' | 'count_distinct' | 'max' | 'min' | 'latest' | 'avg' | 'time_weighted_sum';

export interface MeterIR {
  name: string;
  aggregation: Aggregation;
  value: TypedExpr | null;
  filter: TypedExpr | null;
  dimensions: string[];
  period: Period;
  /** Decimal places of the meter's quantity in outputs (and of avg / time-weighted results, rounded half-even). */
  scale: number;
  /** Time-weighted sums: the unit of time the value is weighted by. */
  timeUnit: 'second' | 'minute' | 'hour' | 'day';
}

export interface TimeBandRule {
  /** ISO weekdays 1 = Monday … 7 = Sunday. */
  days: number[];
  /** Minutes since local midnight, half-open [from, to). */
  fromMinute: number;
  toMinute: number;
}

export interface TimeBand {
  name: string;
  rules: TimeBandRule[];
}

export interface ChargeIR {
  name: string;
  meter: string;
  /** Line dimensions: the meter's dimensions, plus the time band for time_of_day charges. */
  dimensions: string[];
  /** Pure pricing spec handed to `priceGroup`. */
  pricing: ChargeSpec;
  /** Version boundaries (UTC instants, ISO text), ascending; index i+1 starts at versionStarts[i]. */
  versionStarts: string[];
  /**
   * Contract terms: per account, the versions (indexes into pricing.versions, after the rate card's) in force
   * from each instant, ascending. From its first one on, an account's events take these versions instead.
   */
  accountVersions: { account: string; from: string; version: number }[];
  /** time_of_day: the dimension name and the bands, first match wins, `defaultBand` otherwise. */
  timeOfDay: { dimension: string; timezone: string; bands: TimeBand[]; defaultBand: string } | null;
  /**
   * matrix with no default: per price version, the priced value combinations (null for a version that has a
   * default price); events of a version outside its combinations are rejected with `reason`.
   */
  matrixGuard: { byVersion: ({ dimensions: string[]; combinations: string[][] } | null)[]; reason: string } | null;
  /** percentage: the monetary field and the per-event rules, evaluated in SQL. */
  percentage: { amount: TypedExpr } | null;
}

export type OutputColumnSource =
  | 'line_id' | 'account' | 'period' | 'period_start' | 'period_end' | 'charge' | 'meter' | 'dimension' | 'dimensions'
  | 'quantity' | 'unit_price' | 'tier_ref' | 'amount_exact' | 'amount' | 'currency' | 'ruleset' | 'ruleset_version' | 'price_version'
  | 'covered_by_commitment' | 'covered_by_credits' | 'overage' | 'status' | 'incurred_at';

export interface OutputColumn {
  name: string;
  source: OutputColumnSource;
}

export interface OutputsIR {
  charges: { columns: OutputColumn[]; emptyDimension: string };
  ratedEvents: boolean;
  /** Decimal places of event allocations in rated-events. */
  allocationScale: number;
}

export interface RulesetIR {
  file: string;
  name: string;
  version: string;
  description: string;
  /** sha256 of the ruleset file(s) and the reference tables it names. */
  hash: string;
  timezone: string;
  accountField: string;
  currency: string;
  minorUnits: number;
  rounding: 'half_even' | 'half_up';
  input: InputSpec;
  stages: StageIR[];
  /** Field types after all stages: what meters and prices see. */
  eventFields: Map<string, FieldType>;
  meters: MeterIR[];
  charges: ChargeIR[];
  outputs: OutputsIR;
  /** accounts, wallets and commitments the ruleset declares for the state file. */
  position: PositionIR;
}
