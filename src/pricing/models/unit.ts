/**
 * unit: billable quantity × unit price.
 *
 * Example: 1500 units @ 0.0020 → 3.00; with 1000 included on the basis → 500 × 0.0020 = 1.00.
 */
import type { ModelPrice, PricerDefinition } from '../definition.js';

export const unitPricer: PricerDefinition<'unit'> = {
  model: 'unit',
  doc: 'Billable quantity times one unit price.',
  check: () => [],
  price(model, _line, at): ModelPrice {
    return { exact: at.billable.times(model.unitPrice), unitPrice: model.unitPrice, tierRef: 'unit', breakdown: [] };
  },
};
