/**
 * The contract between the engine and pricing. SQL aggregates events into lines (one per account, period,
 * charge, price version and dimension values); `priceGroup` prices the lines of one group (one account,
 * one period, one charge) as pure functions of these values.
 *
 * Every Decimal here should come from `./decimal.js` (60 digits); `priceGroup` re-makes foreign ones.
 */
import type { Decimal } from './decimal.js';

export type RoundingMode = 'half_even' | 'half_up';

/**
 * Whether tiers and the included allowance count the group's total (lines in order), each price version's total
 * (tiers restart where a rate-card version or a contract amendment starts), or each line alone.
 */
export type TierBasis = 'group' | 'version' | 'line';

// ---------------------------------------------------------------------------------------------------------
// Price models: a discriminated union on `model`; one file per model in ./models/ gives the semantics.

/** A tier of a graduated or volume table. `upTo: null` on the last tier means "and above". */
export interface PriceTier {
  upTo: Decimal | null;
  unitPrice: Decimal;
  /** Charged once when the tier is entered (graduated) or once per basis when it is the tier reached (volume). */
  flatFee?: Decimal;
}

export interface PackageTier {
  upTo: Decimal | null;
  /** Price of each started package of `packageSize` units within this tier. */
  packagePrice: Decimal;
}

export interface FlatModel { model: 'flat'; amount: Decimal }
export interface UnitModel { model: 'unit'; unitPrice: Decimal }
export interface GraduatedModel { model: 'graduated'; tiers: PriceTier[] }
export interface VolumeModel { model: 'volume'; tiers: PriceTier[] }
export interface PackageModel { model: 'package'; packageSize: Decimal; packagePrice: Decimal }
export interface TieredPackageModel { model: 'tiered_package'; packageSize: Decimal; tiers: PackageTier[] }

export interface MatrixEntry {
  /** One value per matrix dimension. */
  values: Record<string, string>;
  unitPrice: Decimal;
}
export interface MatrixModel {
  model: 'matrix';
  dimensions: string[];
  entries: MatrixEntry[];
  /** Price of a combination with no entry; null means such events were rejected by SQL upstream. */
  defaultPrice: Decimal | null;
}

export interface TimeOfDayBand { name: string; unitPrice: Decimal }
export interface TimeOfDayModel {
  model: 'time_of_day';
  /** The line dimension in which SQL put each event's band name. */
  dimension: string;
  bands: TimeOfDayBand[];
}

/** The per-event rules of the percentage model (see models/percentage.ts for the exact semantics). */
export interface PercentageRules {
  /** Fraction of the chargeable amount, e.g. 0.029 for 2.9 %. */
  rate: Decimal;
  /** Added to each charged event. */
  fixedFee: Decimal;
  /** Number of events (a non-negative integer count, not money) that are free, from the group's first. */
  freeUnits: number;
  /** Cumulative monetary amount that is free after the free units. */
  freeAmount: Decimal;
  minPerEvent: Decimal | null;
  maxPerEvent: Decimal | null;
}
export interface PercentageModel extends PercentageRules { model: 'percentage' }

export type PriceModel =
  | FlatModel
  | UnitModel
  | GraduatedModel
  | VolumeModel
  | PackageModel
  | TieredPackageModel
  | MatrixModel
  | TimeOfDayModel
  | PercentageModel;

export type ModelKind = PriceModel['model'];

/** The price model variant named `K`. */
export type ModelOf<K extends ModelKind> = Extract<PriceModel, { model: K }>;

// ---------------------------------------------------------------------------------------------------------
// A charge as pricing sees it.

/**
 * A multiplier chosen by a dimension's value on the line or by the account, e.g. region uplift
 * `{ 'ap-south': 1.20 }` default 1, or partner discount `{ 'acct-9': 0.90 }` default 1.
 * A missing or null dimension value takes `defaultFactor`.
 */
export interface Modifier {
  label: string;
  key: { dimension: string } | { account: true };
  factors: Record<string, Decimal>;
  defaultFactor: Decimal;
}

export interface PriceVersion {
  /** UTC instant (ISO text) from which this version applies; null for the first. SQL assigns versions. */
  effectiveFrom: string | null;
  model: PriceModel;
}

export interface ChargeSpec {
  name: string;
  currency: string;
  /** Decimal places of the currency's minor unit (2 for EUR, 0 for JPY, 3 for KWD). */
  minorUnits: number;
  rounding: RoundingMode;
  tierBasis: TierBasis;
  /** First N units of the basis free per period (0 = none), consumed in line order. */
  included: Decimal;
  /** Effective-dated rate card versions; a line's `version` is an index into this list. */
  versions: PriceVersion[];
  /** Applied in declared order after the model. */
  modifiers: Modifier[];
  /** Per line, after modifiers; when both apply and conflict, the maximum wins (it is applied last). */
  minimum: Decimal | null;
  maximum: Decimal | null;
}

// ---------------------------------------------------------------------------------------------------------
// Lines in and out.

/** A charge line before pricing: one per (account, period, charge, price version, dimension values). */
export interface LineInput {
  /** The charge's dimension values for this line, e.g. `{ region: 'us-east' }` or `{ time_band: 'peak' }`. */
  dims: Record<string, string | null>;
  /** Index into `ChargeSpec.versions` of the price version in force for these events. */
  version: number;
  /** The meter's value for this line. */
  quantity: Decimal;
  /** Per-event models (percentage) only: the exact sum of the per-event charges, computed by SQL. */
  eventAmount?: Decimal;
}

export interface GroupContext {
  account: string;
}

/**
 * How one tier contributed to a line. `from`/`to` are positions on the billable basis (after the included
 * allowance), so the slices of all lines of a group tile the basis without gaps.
 */
export interface TierSlice {
  /** 1-based tier number. */
  tier: number;
  from: Decimal;
  to: Decimal;
  quantity: Decimal;
  /** Per-unit price; null for package tiers (see `packagePrice`). */
  unitPrice: Decimal | null;
  /** Tier flat fee included in `amount`, when this slice carries one. */
  flatFee?: Decimal;
  /** tiered_package: packages started in this slice and their price. */
  packages?: Decimal;
  packagePrice?: Decimal;
  /** Exact amount of this slice (fee included); the slices of a line sum to the line's model amount. */
  amount: Decimal;
}

/** What happened after the model, for `tally explain` and audit columns. */
export interface PricingTrace {
  /** The model's exact amount, before modifiers. */
  modelAmount: Decimal;
  /** Every modifier in declared order with the factor it applied (1 included). */
  factors: { label: string; factor: Decimal }[];
  /** Whether the per-line minimum or maximum replaced the amount. */
  clampedTo: 'minimum' | 'maximum' | null;
}

export interface PricedLine {
  /** Exact amount after model, modifiers and min/max; never rounded. */
  exact: Decimal;
  /** `exact` rounded once to the currency's minor units with the charge's rounding mode. */
  amount: Decimal;
  /** The single unit price when there is one (unit, volume, matrix, time_of_day), else null. */
  unitPrice: Decimal | null;
  /** Short readable reference: "tiers 1-2 of 3", "volume tier 2", "package 3 x 10", "flat". */
  tierRef: string;
  /** Tiered models: the tiers this line touched, in order; empty otherwise. */
  breakdown: TierSlice[];
  trace: PricingTrace;
}
