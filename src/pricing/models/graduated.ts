/**
 * graduated: each tier's units at the tier's own price, plus the tier's flat fee once the tier is entered.
 *
 * F(q) = Σ_k units of q in tier k × price_k + (q above tier k's lower bound ? fee_k : 0), so F(0) = 0.
 * A line is the slice (billableFrom, billableTo] of its basis and is charged F(to) − F(from); the
 * lines of a group therefore sum exactly to F(billable total).
 *
 * Example: tiers ≤1000 @ 0.0100, ≤5000 @ 0.0080, above @ 0.0050, total 6000
 *   → 1000 × 0.0100 + 4000 × 0.0080 + 1000 × 0.0050 = 10 + 32 + 5 = 47.
 *   Split as lines 800 then 5200: line 1 = 8 (tier 1), line 2 = 2 + 32 + 5 = 39 (tiers 1-3 of 3).
 */
import { ZERO, type Decimal } from '../decimal.js';
import type { ModelPrice, PricerDefinition } from '../definition.js';
import { checkTierTable, clampToTier, describeTiers, isEntered, sliceMissesTier, tierRanges } from '../tiers.js';
import type { TierSlice } from '../types.js';

export const graduatedPricer: PricerDefinition<'graduated'> = {
  model: 'graduated',
  doc: 'Each tier prices its own units (plus its flat fee once entered); lines take consecutive slices of the basis.',
  check: (model) => checkTierTable(model.tiers),
  price(model, _line, at): ModelPrice {
    const breakdown: TierSlice[] = [];
    let exact: Decimal = ZERO;
    tierRanges(model.tiers).forEach((range, k) => {
      // No units and no entry or exit: most tiers, for most lines (the exact arithmetic below would give 0 and 0).
      if (sliceMissesTier(range, at.billableFrom, at.billableTo)) return;
      const tier = model.tiers[k]!;
      const from = clampToTier(range, at.billableFrom);
      const to = clampToTier(range, at.billableTo);
      // The tier's units of the slice: (to − lower) − (from − lower), its lower bound cancelling out.
      const quantity = to.minus(from);
      // +1 when this line enters the tier (−1 only if a negative line leaves it again).
      const entries = Number(isEntered(range, at.billableTo)) - Number(isEntered(range, at.billableFrom));
      if (quantity.isZero() && entries === 0) return;
      const flatFee = tier.flatFee && entries !== 0 ? tier.flatFee.times(entries) : ZERO;
      const units = quantity.times(tier.unitPrice);
      const amount = flatFee.isZero() ? units : units.plus(flatFee);
      exact = breakdown.length === 0 ? amount : exact.plus(amount);
      breakdown.push({ tier: k + 1, from, to, quantity, unitPrice: tier.unitPrice, ...(flatFee.isZero() ? {} : { flatFee }), amount });
    });
    return {
      exact,
      unitPrice: null,
      tierRef: describeTiers(breakdown.map((slice) => slice.tier), model.tiers.length),
      breakdown,
    };
  },
};
