/**
 * Spreads a line's amount over its events (rated-events output) so the shares sum to the line exactly.
 *
 * Cumulative floor allocation, chosen because SQL can compute it row by row with a window sum:
 *   W_i = w_1 + … + w_i (running sum of weights, W_0 = 0), W = W_n,
 *   share_i = floor_s(total × W_i / W) − floor_s(total × W_{i−1} / W)
 * where floor_s floors toward −infinity at `scale` decimals. The shares telescope to floor_s(total), which
 * is `total` whenever it has at most `scale` decimals; an event of weight 0 gets 0 (W_i = W_{i−1}).
 * If the weights sum to 0 (all zero), every event weighs 1.
 *
 * Example: total 10.00, weights 1, 1, 1, scale 2 → floor(3.333…) = 3.33, floor(6.666…) − 3.33 = 3.33,
 *   10.00 − 6.66 = 3.34.
 */
import { ONE, ZERO, dec, floorDivAtScale, sumOf, type Decimal } from './decimal.js';

export function allocateCumulative(total: Decimal, weights: readonly Decimal[], scale: number): Decimal[] {
  const exactTotal = dec(total);
  const raw = weights.map((w) => dec(w));
  const effective = sumOf(raw).isZero() ? raw.map(() => ONE) : raw;
  const weightSum = sumOf(effective);

  let running = ZERO;
  let allocatedBefore = ZERO;
  return effective.map((weight) => {
    running = running.plus(weight);
    const allocatedThrough = floorDivAtScale(exactTotal.times(running), weightSum, scale);
    const share = allocatedThrough.minus(allocatedBefore);
    allocatedBefore = allocatedThrough;
    return share;
  });
}
