/**
 * What happens to a line's model amount before rounding, step by step: the modifiers multiply it in
 * declared order, then the per-line minimum and maximum clamp it. The chain itself is assembled, with
 * its order written down, in `price-group.ts`.
 *
 * The product is exact (60 digits, no intermediate rounding), so two modifiers give the same amount in
 * either order; the declared order still fixes the order of the trace and is the contract should a
 * modifier ever stop being a pure multiplier.
 *
 * Example: 100.00 with region uplift { ap-south: 1.20 } then partner discount { acct-9: 0.90 },
 *   on a line { region: ap-south } of account acct-9 → 100 × 1.20 × 0.90 = 108.
 */
import type { Decimal } from './decimal.js';
import type { GroupContext, LineInput, Modifier, PricingTrace } from './types.js';

/** The factor a modifier applies to a line: by the line's dimension value or the account, else the default. */
export function modifierFactor(modifier: Modifier, line: LineInput, ctx: GroupContext): Decimal {
  const value = 'dimension' in modifier.key ? line.dims[modifier.key.dimension] : ctx.account;
  if (value === null || value === undefined || !Object.hasOwn(modifier.factors, value)) return modifier.defaultFactor;
  return modifier.factors[value]!;
}

export function applyModifiers(
  amount: Decimal,
  modifiers: readonly Modifier[],
  line: LineInput,
  ctx: GroupContext,
): { amount: Decimal; factors: PricingTrace['factors'] } {
  const factors: PricingTrace['factors'] = [];
  for (const modifier of modifiers) {
    const factor = modifierFactor(modifier, line, ctx);
    factors.push({ label: modifier.label, factor });
    amount = amount.times(factor);
  }
  return { amount, factors };
}

/** Raises to the minimum, then lowers to the maximum (so the maximum wins if the two conflict). */
export function clampLine(
  amount: Decimal,
  minimum: Decimal | null,
  maximum: Decimal | null,
): { amount: Decimal; clampedTo: PricingTrace['clampedTo'] } {
  let clampedTo: PricingTrace['clampedTo'] = null;
  if (minimum !== null && amount.lt(minimum)) {
    amount = minimum;
    clampedTo = 'minimum';
  }
  if (maximum !== null && amount.gt(maximum)) {
    amount = maximum;
    clampedTo = 'maximum';
  }
  return { amount, clampedTo };
}
