/**
 * The project's one decimal type. Money and quantities are never JavaScript numbers: every amount is a
 * `Decimal` made by this constructor, whose 60 significant digits keep sums and products of rate-card
 * values exact (a 38-digit SQL DECIMAL times a 10-digit price still fits), and whose default rounding
 * is half-even. Rounding to money happens once, at the line (see `rounding.ts`).
 *
 * decimal.js clones share one prototype, so `instanceof` cannot tell them apart, but an operation uses the
 * precision of its LEFT operand's constructor: `foreign.times(ours)` would round at the foreign precision
 * (20 digits by default). Code that receives decimals from elsewhere passes them through `dec()` or
 * `withProjectDecimals()` first.
 */
import { Decimal as DecimalJs } from 'decimal.js';

export const Decimal = DecimalJs.clone({ precision: 60, rounding: DecimalJs.ROUND_HALF_EVEN });
export type Decimal = DecimalJs;

export const ZERO: Decimal = new Decimal(0);
export const ONE: Decimal = new Decimal(1);

/** A decimal of this project's precision, from a decimal string, bigint or another clone's Decimal. */
export function dec(value: DecimalJs.Value): Decimal {
  return new Decimal(value);
}

/** Rebuilds every Decimal inside plain objects and arrays with this project's constructor (other values untouched). */
export function withProjectDecimals<T>(value: T): T {
  if (DecimalJs.isDecimal(value)) return (value.constructor === Decimal ? value : new Decimal(value)) as T;
  if (Array.isArray(value)) return value.map((item) => withProjectDecimals(item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withProjectDecimals(v)])) as T;
  }
  return value;
}

export function sumOf(values: readonly Decimal[]): Decimal {
  return values.reduce((acc, v) => acc.plus(v), ZERO);
}

/**
 * −1, 0 or 1 as a is below, equal to or above b. decimal.js's own comparisons (`cmp`, `lt`, `gte`...) first copy
 * their argument, which costs as much as an addition; pricing compares on every line of every tier, so this
 * reads the documented fields of both values instead: d (base-10^7 digits, most significant first, normalised),
 * e (base-10 exponent), s (sign). Same algorithm as decimal.js's `comparedTo`.
 */
export function compare(a: Decimal, b: Decimal): number {
  const ad = a.d;
  const bd = b.d;
  if (!ad || !bd) return a.comparedTo(b); // NaN or an infinity: never an amount, but decimal.js knows how
  const as = a.s;
  const bs = b.s;
  if (!ad[0] || !bd[0]) return ad[0] ? as : bd[0] ? -bs : 0; // a zero on either side
  if (as !== bs) return as;
  if (a.e !== b.e) return (a.e > b.e) !== (as < 0) ? 1 : -1;
  const n = Math.min(ad.length, bd.length);
  for (let i = 0; i < n; i++) if (ad[i] !== bd[i]) return (ad[i]! > bd[i]!) !== (as < 0) ? 1 : -1;
  return ad.length === bd.length ? 0 : (ad.length > bd.length) !== (as < 0) ? 1 : -1;
}

export function maxOf(a: Decimal, b: Decimal): Decimal {
  return compare(a, b) >= 0 ? a : b;
}

export function minOf(a: Decimal, b: Decimal): Decimal {
  return compare(a, b) <= 0 ? a : b;
}

/** max(0, x), reading only the sign (a negative zero gives ZERO: money has one zero). */
export function atLeastZero(x: Decimal): Decimal {
  return x.isNeg() ? ZERO : x;
}

/**
 * ceil(n / d) for d > 0, exactly. `div` rounds to 60 digits, which could hide a tiny remainder of a huge
 * quotient, so the estimate is checked against the definition and corrected.
 */
export function ceilDiv(n: Decimal, d: Decimal): Decimal {
  let q = n.div(d).ceil();
  while (q.times(d).lt(n)) q = q.plus(1);
  while (q.minus(1).times(d).gte(n)) q = q.minus(1);
  return q;
}

/**
 * floor(n / d) kept to `scale` decimal places (rounded toward −infinity), exactly; d must not be 0.
 * Same check-and-correct as `ceilDiv`, in steps of 10^−scale.
 */
export function floorDivAtScale(n: Decimal, d: Decimal, scale: number): Decimal {
  if (d.isNeg()) return floorDivAtScale(n.neg(), d.neg(), scale);
  const step = new Decimal(`1e-${scale}`);
  let q = n.div(d).toDecimalPlaces(scale, Decimal.ROUND_FLOOR);
  while (q.times(d).gt(n)) q = q.minus(step);
  while (q.plus(step).times(d).lte(n)) q = q.plus(step);
  return q;
}

/**
 * `x` as fixed-point text with exactly `places` decimals: the same text as `x.toFixed(places)`. When `x` has no
 * more decimals than that (an amount already rounded, a quantity at its scale) the text is padded, not
 * rounded, which avoids the rounded copy `toFixed` builds: writing 180,000 lines spent most of its time there.
 */
export function fixedText(x: Decimal, places: number): string {
  const s = x.toString();
  if (s.includes('e')) return x.toFixed(places);
  const dot = s.indexOf('.');
  const decimals = dot < 0 ? 0 : s.length - dot - 1;
  if (decimals > places) return x.toFixed(places);
  if (decimals === places) return s;
  return (dot < 0 ? `${s}.` : s) + '0'.repeat(places - decimals);
}
