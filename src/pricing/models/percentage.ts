/**
 * percentage: a charge per event on a monetary amount of the event (card fees, revenue share).
 *
 * The per-event work runs in SQL, which sums the exact per-event charges of a line into `eventAmount`;
 * the line's model amount IS that sum (the quantity and the included allowance play no part).
 * `percentageEventCharges` below is the reference the SQL is tested against. Per group, events in time order:
 *   1. the first `freeUnits` events are free (charged 0);
 *   2. then the next `freeAmount` of cumulative amount is free: with S the running sum of the amounts of
 *      the events after the free units, an event's chargeable part is max(0, S_i − freeAmount) −
 *      max(0, S_{i−1} − freeAmount), so the event crossing freeAmount pays on its part above it;
 *   3. an event with chargeable part 0 is charged 0 (no fixed fee); any other is charged
 *      clamp(chargeable × rate + fixedFee, minPerEvent, maxPerEvent), min and max each optional.
 * Amounts are expected non-negative (refunds are separate events upstream). Nothing is rounded here.
 *
 * Example: rate 0.029, fixedFee 0.30, freeUnits 1, freeAmount 50, min 0.50, max 5.00; amounts 100, 30, 40, 1000
 *   → 0 (free unit), 0 (30 of the free 50), 20 × 0.029 + 0.30 = 0.88, 1000 × 0.029 + 0.30 = 29.30 → max 5.00.
 */
import { ZERO, dec, maxOf, minOf, type Decimal } from '../decimal.js';
import type { ModelPrice, ModelProblem, PricerDefinition } from '../definition.js';
import { PricingInternalError } from '../errors.js';
import type { PercentageRules } from '../types.js';

/** The exact charge of each event of a group (events in time order), by the rules above. */
export function percentageEventCharges(events: readonly { amount: Decimal }[], rules: PercentageRules): Decimal[] {
  const rate = dec(rules.rate);
  const fixedFee = dec(rules.fixedFee);
  const freeAmount = dec(rules.freeAmount);
  const overFree = (sum: Decimal) => maxOf(ZERO, sum.minus(freeAmount));
  let runningAmount = ZERO;

  return events.map((event, index) => {
    if (index < rules.freeUnits) return ZERO;
    const before = runningAmount;
    runningAmount = runningAmount.plus(dec(event.amount));
    const chargeable = overFree(runningAmount).minus(overFree(before));
    if (chargeable.isZero()) return ZERO;
    let charge = chargeable.times(rate).plus(fixedFee);
    if (rules.minPerEvent !== null) charge = maxOf(charge, dec(rules.minPerEvent));
    if (rules.maxPerEvent !== null) charge = minOf(charge, dec(rules.maxPerEvent));
    return charge;
  });
}

export const percentagePricer: PricerDefinition<'percentage'> = {
  model: 'percentage',
  doc: 'A percentage of each event\'s amount plus a fixed fee, with free events, a free amount and per-event min/max.',
  check(model) {
    const problems: ModelProblem[] = [];
    if (!Number.isInteger(model.freeUnits) || model.freeUnits < 0) {
      problems.push({ path: 'freeUnits', code: 'free_units', message: 'freeUnits must be a whole number of events, 0 or more' });
    }
    if (model.freeAmount.isNeg()) problems.push({ path: 'freeAmount', code: 'free_amount', message: 'freeAmount must not be negative' });
    if (model.minPerEvent !== null && model.maxPerEvent !== null && model.minPerEvent.gt(model.maxPerEvent)) {
      problems.push({ path: 'minPerEvent', code: 'min_above_max', message: 'minPerEvent must not be above maxPerEvent' });
    }
    return problems;
  },
  price(_model, line, _at, charge): ModelPrice {
    if (line.eventAmount === undefined) {
      throw new PricingInternalError(charge, 'a percentage line arrived without its eventAmount (the SQL sum of per-event charges)');
    }
    return { exact: line.eventAmount, unitPrice: null, tierRef: 'percentage', breakdown: [] };
  },
};
