/**
 * volume: the tier reached by the basis's billable total prices ALL billable units of every line.
 *
 * The tier is the first with total ≤ upTo (a total exactly at a boundary stays in the lower tier).
 * Each line = its billable units × that tier's price; the tier's flat fee is added once, on the basis's
 * first volume line, when the billable total is above 0.
 *
 * Example: tiers ≤2000 @ 0.090, ≤6000 @ 0.085, above @ 0.070; lines 1000 and 2000 → total 3000 is in
 *   tier 2, so 1000 × 0.085 = 85 and 2000 × 0.085 = 170 ("volume tier 2"). A total of 2000 is tier 1.
 */
import { ZERO } from '../decimal.js';
import type { ModelPrice, PricerDefinition } from '../definition.js';
import { checkTierTable, tierIndexOf } from '../tiers.js';

export const volumePricer: PricerDefinition<'volume'> = {
  model: 'volume',
  doc: 'The tier reached by the billable total prices all units; its flat fee once per basis.',
  check: (model) => checkTierTable(model.tiers),
  price(model, _line, at): ModelPrice {
    const k = tierIndexOf(model.tiers, at.billableTotal);
    const tier = model.tiers[k]!;
    const carriesFee = at.firstOfKindInBasis && at.billableTotal.gt(0);
    const flatFee = carriesFee ? (tier.flatFee ?? ZERO) : ZERO;
    const units = at.billable.times(tier.unitPrice);
    const exact = flatFee.isZero() ? units : units.plus(flatFee);
    const touched = !at.billable.isZero() || !flatFee.isZero();
    return {
      exact,
      unitPrice: tier.unitPrice,
      tierRef: `volume tier ${k + 1}`,
      breakdown: touched
        ? [{
            tier: k + 1,
            from: at.billableFrom,
            to: at.billableTo,
            quantity: at.billable,
            unitPrice: tier.unitPrice,
            ...(flatFee.isZero() ? {} : { flatFee }),
            amount: exact,
          }]
        : [],
    };
  },
};
