/**
 * The one rounding of money: an exact line amount to the currency's minor units.
 *
 * half_even rounds a midpoint to the even neighbour (banker's rounding): 0.125 → 0.12, 0.135 → 0.14.
 * half_up rounds a midpoint away from zero, symmetric for negatives: 0.125 → 0.13, −0.125 → −0.13
 * (what DuckDB's round() does on DECIMAL). Anything else goes to the nearest neighbour.
 */
import { Decimal, ZERO, dec } from './decimal.js';
import type { RoundingMode } from './types.js';

export function roundMoney(x: Decimal, minorUnits: number, mode: RoundingMode): Decimal {
  const rounded = (x.constructor === Decimal ? x : dec(x)).toDecimalPlaces(minorUnits, mode === 'half_up' ? Decimal.ROUND_HALF_UP : Decimal.ROUND_HALF_EVEN);
  // −0.001 rounds to a negative zero; money has one zero.
  return rounded.isZero() ? ZERO : rounded;
}
