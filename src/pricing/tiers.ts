/**
 * Tier table arithmetic shared by graduated, volume and tiered_package.
 *
 * Tier k (0-based here, 1-based in output) covers the half-open range (lower, upper]: lower is the previous
 * tier's `upTo` (0 for the first), upper its own `upTo`. A quantity exactly equal to `upTo` therefore
 * belongs to that tier; one unit more is in the next. The last tier is treated as unbounded whatever its
 * `upTo` says (`check` reports a bounded last tier), so every quantity has a price.
 */
import { ZERO, compare, maxOf, minOf, type Decimal } from './decimal.js';
import type { ModelProblem } from './definition.js';

export interface TierRange {
  lower: Decimal;
  /** null = unbounded. */
  upper: Decimal | null;
}

/** Ranges of a tier table, made once per table (compiled rate cards are immutable) and shared by its lines. */
const rangesOf = new WeakMap<readonly { upTo: Decimal | null }[], readonly TierRange[]>();

export function tierRanges(tiers: readonly { upTo: Decimal | null }[]): readonly TierRange[] {
  let ranges = rangesOf.get(tiers);
  if (!ranges) rangesOf.set(tiers, (ranges = computeRanges(tiers)));
  return ranges;
}

function computeRanges(tiers: readonly { upTo: Decimal | null }[]): TierRange[] {
  return tiers.map((tier, k) => ({
    lower: k === 0 ? ZERO : (tiers[k - 1]!.upTo ?? ZERO),
    upper: k === tiers.length - 1 ? null : tier.upTo,
  }));
}

/** `position` moved into [lower, upper]: where a basis position falls within the tier's range. */
export function clampToTier(range: TierRange, position: Decimal): Decimal {
  const atLeastLower = maxOf(position, range.lower);
  return range.upper === null ? atLeastLower : minOf(atLeastLower, range.upper);
}

/** Units of the cumulative quantity `q` that fall in the tier: clamp(q − lower, 0, upper − lower). */
export function unitsInTier(range: TierRange, q: Decimal): Decimal {
  return clampToTier(range, q).minus(range.lower);
}

/** Whether the slice (from, to] of a basis leaves the tier untouched: both ends below it, or both above it. */
export function sliceMissesTier(range: TierRange, from: Decimal, to: Decimal): boolean {
  if (compare(from, range.lower) <= 0 && compare(to, range.lower) <= 0) return true;
  return range.upper !== null && compare(from, range.upper) >= 0 && compare(to, range.upper) >= 0;
}

/** A tier is entered once the cumulative quantity is strictly above its lower bound (so F(0) = 0). */
export function isEntered(range: TierRange, q: Decimal): boolean {
  return compare(q, range.lower) > 0;
}

/** Index of the tier a total falls in: the first with total ≤ upTo (a total of 0 is in the first tier). */
export function tierIndexOf(tiers: readonly { upTo: Decimal | null }[], total: Decimal): number {
  const k = tiers.findIndex((tier, i) => i === tiers.length - 1 || tier.upTo === null || compare(total, tier.upTo) <= 0);
  return k === -1 ? 0 : k;
}

/** "tier 2 of 3", "tiers 1-2 of 3", or "no billable units" for 1-based tier numbers in ascending order. */
export function describeTiers(touched: readonly number[], count: number, noun = 'tier'): string {
  const first = touched[0];
  const last = touched[touched.length - 1];
  if (first === undefined || last === undefined) return 'no billable units';
  if (first === last) return `${noun} ${first} of ${count}`;
  return `${noun}s ${first}-${last} of ${count}`;
}

/** Tiers must exist, increase strictly from above 0, and end with an open tier (upTo null). */
export function checkTierTable(tiers: readonly { upTo: Decimal | null }[]): ModelProblem[] {
  if (tiers.length === 0) return [{ path: 'tiers', code: 'tiers_empty', message: 'needs at least one tier' }];
  const problems: ModelProblem[] = [];
  let previous = ZERO;
  tiers.forEach((tier, k) => {
    const path = `tiers[${k}].upTo`;
    const isLast = k === tiers.length - 1;
    if (tier.upTo === null) {
      if (!isLast) problems.push({ path, code: 'tier_open_not_last', message: 'only the last tier can be open-ended (no upTo)' });
      return;
    }
    if (isLast) problems.push({ path, code: 'tier_last_bounded', message: 'the last tier must be open-ended (no upTo) so every quantity has a price' });
    if (tier.upTo.lte(previous)) {
      problems.push({ path, code: 'tiers_not_increasing', message: `upTo must be above ${previous.toFixed()} (tiers increase strictly from 0)` });
    }
    previous = maxOf(previous, tier.upTo);
  });
  return problems;
}
