/**
 * flat: a fixed fee per period per group, whatever the quantity (the included allowance does not apply).
 *
 * The whole fee goes on the group's first line priced by a flat model (normally the group's first line);
 * every other line gets 0, so a group is charged the fee once even when it has many lines.
 *
 * Example: amount 49.00, lines { region: eu } and { region: us } → 49.00 and 0.
 */
import { ZERO } from '../decimal.js';
import type { ModelPrice, PricerDefinition } from '../definition.js';

export const flatPricer: PricerDefinition<'flat'> = {
  model: 'flat',
  doc: 'A fixed fee once per period per group, on its first line; quantity ignored.',
  check: () => [],
  price(model, _line, at): ModelPrice {
    return {
      exact: at.firstOfKindInGroup ? model.amount : ZERO,
      unitPrice: null,
      tierRef: 'flat',
      breakdown: [],
    };
  },
};
