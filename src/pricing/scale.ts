/**
 * A price model with every price multiplied by a factor: how a contract's discount (factor 1 − d) or uplift
 * (factor 1 + u) becomes terms. Every model's amount is linear in its prices for given quantities, so scaling
 * the prices scales each line's amount exactly (before the line's one rounding); quantities, tier bounds and
 * package sizes stay. Percentage charges are priced per event in SQL and are not scaled here.
 */
import type { Decimal } from './decimal.js';
import type { PriceModel } from './types.js';

export function scaleModel(model: PriceModel, factor: Decimal): PriceModel {
  const x = (d: Decimal) => d.times(factor);
  switch (model.model) {
    case 'flat':
      return { ...model, amount: x(model.amount) };
    case 'unit':
      return { ...model, unitPrice: x(model.unitPrice) };
    case 'graduated':
    case 'volume':
      return { ...model, tiers: model.tiers.map((t) => ({ ...t, unitPrice: x(t.unitPrice), ...(t.flatFee ? { flatFee: x(t.flatFee) } : {}) })) };
    case 'package':
      return { ...model, packagePrice: x(model.packagePrice) };
    case 'tiered_package':
      return { ...model, tiers: model.tiers.map((t) => ({ ...t, packagePrice: x(t.packagePrice) })) };
    case 'matrix':
      return { ...model, entries: model.entries.map((e) => ({ ...e, unitPrice: x(e.unitPrice) })), defaultPrice: model.defaultPrice ? x(model.defaultPrice) : null };
    case 'time_of_day':
      return { ...model, bands: model.bands.map((b) => ({ ...b, unitPrice: x(b.unitPrice) })) };
    case 'percentage':
      return model;
  }
}
