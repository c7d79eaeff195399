/**
 * tiered_package: graduated over tiers, where each tier charges its units per started package of N
 * units WITHIN that tier.
 *
 * F(q) = Σ_k ceil(units of q in tier k / N) × packagePrice_k; lines take consecutive slices of the basis,
 * each charged the packages it starts in each tier.
 *
 * Example: N = 100, tiers ≤1000 @ 10.00, above @ 6.00; total 1250 → tier 1: 1000 units = 10 packages
 *   = 100.00; tier 2: 250 units = 3 packages = 18.00; total 118.00 ("package tiers 1-2 of 2").
 */
import { ZERO, ceilDiv } from '../decimal.js';
import type { ModelPrice, PricerDefinition } from '../definition.js';
import { checkTierTable, clampToTier, describeTiers, tierRanges, unitsInTier } from '../tiers.js';
import type { TierSlice } from '../types.js';

export const tieredPackagePricer: PricerDefinition<'tiered_package'> = {
  model: 'tiered_package',
  doc: 'Graduated tiers, each charging per started package of N units within the tier.',
  check(model) {
    const problems = checkTierTable(model.tiers);
    if (!model.packageSize.gt(0)) problems.push({ path: 'packageSize', code: 'package_size', message: 'packageSize must be above 0' });
    return problems;
  },
  price(model, _line, at): ModelPrice {
    const size = model.packageSize;
    const breakdown: TierSlice[] = [];
    tierRanges(model.tiers).forEach((range, k) => {
      const tier = model.tiers[k]!;
      const unitsTo = unitsInTier(range, at.billableTo);
      const unitsFrom = unitsInTier(range, at.billableFrom);
      const quantity = unitsTo.minus(unitsFrom);
      if (quantity.isZero()) return;
      // May be 0: the line's units can all fall in a package an earlier line started.
      const packages = ceilDiv(unitsTo, size).minus(ceilDiv(unitsFrom, size));
      breakdown.push({
        tier: k + 1,
        from: clampToTier(range, at.billableFrom),
        to: clampToTier(range, at.billableTo),
        quantity,
        unitPrice: null,
        packages,
        packagePrice: tier.packagePrice,
        amount: packages.times(tier.packagePrice),
      });
    });
    return {
      exact: breakdown.reduce((sum, slice) => sum.plus(slice.amount), ZERO),
      unitPrice: null,
      tierRef: describeTiers(breakdown.map((slice) => slice.tier), model.tiers.length, 'package tier'),
      breakdown,
    };
  },
};
