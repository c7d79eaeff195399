/**
 * What each price model file provides. A model prices ONE line from where the line sits on its tier basis
 * (`BasisPosition`, computed once per group by `basis.ts`); everything after the model (modifiers, min/max,
 * rounding) belongs to the chain in `price-group.ts`, so models stay small and never round.
 */
import type { Decimal } from './decimal.js';
import type { LineInput, ModelKind, ModelOf, TierSlice } from './types.js';

/**
 * A line's place on its basis (the group's lines in order, or the line alone), after the included allowance.
 *
 * Example: included 100, group basis, lines of 80 and 50 → line 1: billable 0→0, line 2: billable 0→30,
 * billableTotal 30 for both.
 */
export interface BasisPosition {
  /** The line's own quantity. */
  quantity: Decimal;
  /** Billable position before and after this line: max(0, running basis quantity − included). */
  billableFrom: Decimal;
  billableTo: Decimal;
  /** billableTo − billableFrom: this line's units not covered by the included allowance. */
  billable: Decimal;
  /** Billable quantity of the whole basis, max(0, basis total − included); volume picks its tier by it. */
  billableTotal: Decimal;
  /** First line of the group priced by this model kind: carries once-per-group amounts (the flat fee). */
  firstOfKindInGroup: boolean;
  /** First line of its basis priced by this model kind: carries once-per-basis amounts (a volume tier's fee). */
  firstOfKindInBasis: boolean;
}

/** A model's result for one line, before modifiers. */
export interface ModelPrice {
  exact: Decimal;
  unitPrice: Decimal | null;
  tierRef: string;
  breakdown: TierSlice[];
}

/**
 * A rate card the pricer cannot honour (tiers out of order, package size 0...). Paths use the model's
 * field names (`tiers[1].upTo`); the ruleset compiler maps them to YAML positions and diagnostics.
 */
export interface ModelProblem {
  path: string;
  code: string;
  message: string;
}

export interface PricerDefinition<K extends ModelKind> {
  model: K;
  /** One sentence for docs and `tally explain`. */
  doc: string;
  /** The invariants `price` relies on; an empty list means the model can be priced. */
  check(model: ModelOf<K>): ModelProblem[];
  /** Prices one line. `line` decimals are already the project's (see decimal.ts). */
  price(model: ModelOf<K>, line: LineInput, at: BasisPosition, charge: string): ModelPrice;
}
