/**
 * package: a price per block of `packageSize` units, a started block counting whole.
 *
 * F(q) = ceil(q / N) × packagePrice; lines take consecutive slices of the basis like graduated, so a line
 * is charged the packages it starts: ceil(to / N) − ceil(from / N).
 *
 * Example: N = 10 @ 5.00 → 0 units: 0; 1 unit: 5.00; 10 units: 5.00; 11 units: 10.00 ("package 2 x 10").
 *   Lines 4 then 7 (11 units): line 1 starts package 1 (5.00), line 2 fills it and starts package 2 (5.00).
 */
import { ceilDiv } from '../decimal.js';
import type { ModelPrice, PricerDefinition } from '../definition.js';

export const packagePricer: PricerDefinition<'package'> = {
  model: 'package',
  doc: 'A price per started block of N units; lines take consecutive slices of the basis.',
  check(model) {
    return model.packageSize.gt(0)
      ? []
      : [{ path: 'packageSize', code: 'package_size', message: 'packageSize must be above 0' }];
  },
  price(model, _line, at): ModelPrice {
    const packages = ceilDiv(at.billableTo, model.packageSize).minus(ceilDiv(at.billableFrom, model.packageSize));
    return {
      exact: packages.times(model.packagePrice),
      unitPrice: null,
      tierRef: `package ${packages.toFixed()} x ${model.packageSize.toFixed()}`,
      breakdown: [],
    };
  },
};
