/**
 * Graduated and volume pricing against a deliberately plain reference: the basis is walked one smallest
 * unit at a time in integers (bigint), each unit charged to the line that holds it at the price of the
 * tier its billable position falls in. Nothing in the reference shares code or arithmetic with src/.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateCumulative } from '../../src/pricing/allocate.js';
import { Decimal } from '../../src/pricing/decimal.js';
import type { PriceTier, TierBasis } from '../../src/pricing/types.js';
import { charge, price } from './helpers.js';

const PRICE_PLACES = 4; // prices have up to 4 decimal places
const FEE_PLACES = 2;

interface Scenario {
  /** Quantities are integers of 10^−scale units. */
  scale: number;
  /** Tier upper bounds in smallest units, increasing; the last tier is open. */
  bounds: number[];
  /** Prices in 10^−4 per unit of quantity, fees in 10^−2; one per tier. */
  prices: number[];
  fees: number[];
  lines: number[];
  included: number;
  basis: TierBasis;
}

/** Small sizes make totals land exactly on tier bounds often; large ones cover long walks. */
const sizes = fc.constantFrom({ gap: 20, line: 30, included: 20 }, { gap: 2000, line: 3000, included: 2000 });

const scenario: fc.Arbitrary<Scenario> = sizes.chain((size) =>
  fc
    .record({
      scale: fc.integer({ min: 0, max: 3 }),
      gaps: fc.array(fc.integer({ min: 1, max: size.gap }), { minLength: 0, maxLength: 3 }),
      tierPrices: fc.array(fc.record({ price: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 99_999 })), fee: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 9_999 })) }), { minLength: 4, maxLength: 4 }),
      lines: fc.array(fc.integer({ min: 0, max: size.line }), { minLength: 1, maxLength: 6 }),
      included: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: size.included })),
      basis: fc.constantFrom<TierBasis>('group', 'line'),
    })
    .map(({ scale, gaps, tierPrices, lines, included, basis }) => {
      const bounds = gaps.map((_, i) => gaps.slice(0, i + 1).reduce((a, b) => a + b, 0));
      const tierCount = bounds.length + 1;
      return {
        scale,
        bounds,
        prices: tierPrices.slice(0, tierCount).map((t) => t.price),
        fees: tierPrices.slice(0, tierCount).map((t) => t.fee),
        lines,
        included,
        basis,
      };
    }),
);

// ---- the plain reference, in bigint units of 10^−(4 + scale) of money ----

/** 0-based tier of a billable position (1-based unit number) in smallest units. */
function tierOf(position: number, bounds: number[]): number {
  let k = 0;
  while (k < bounds.length && position > bounds[k]!) k++;
  return k;
}

function feeInReferenceUnits(s: Scenario, k: number): bigint {
  return BigInt(s.fees[k]!) * 10n ** BigInt(PRICE_PLACES + s.scale - FEE_PLACES);
}

/** Each basis of the scenario as line indexes: the whole group, or each line alone. */
function bases(s: Scenario): number[][] {
  return s.basis === 'group' ? [s.lines.map((_, i) => i)] : s.lines.map((_, i) => [i]);
}

function referenceGraduated(s: Scenario): bigint[] {
  const amounts = s.lines.map(() => 0n);
  for (const basis of bases(s)) {
    const entered = new Set<number>();
    let unit = 0;
    for (const i of basis) {
      for (let u = 0; u < s.lines[i]!; u++) {
        unit++;
        if (unit <= s.included) continue;
        const k = tierOf(unit - s.included, s.bounds);
        amounts[i]! += BigInt(s.prices[k]!);
        if (!entered.has(k)) {
          entered.add(k);
          amounts[i]! += feeInReferenceUnits(s, k);
        }
      }
    }
  }
  return amounts;
}

function referenceVolume(s: Scenario): bigint[] {
  const amounts = s.lines.map(() => 0n);
  for (const basis of bases(s)) {
    const total = basis.reduce((sum, i) => sum + s.lines[i]!, 0);
    const billableTotal = Math.max(0, total - s.included);
    const k = tierOf(billableTotal, s.bounds);
    let unit = 0;
    for (const i of basis) {
      for (let u = 0; u < s.lines[i]!; u++) {
        unit++;
        if (unit > s.included) amounts[i]! += BigInt(s.prices[k]!);
      }
    }
    if (billableTotal > 0) amounts[basis[0]!]! += feeInReferenceUnits(s, k);
  }
  return amounts;
}

// ---- the same scenario through priceGroup ----

const decimalOf = (integer: number, places: number) => new Decimal(integer).div(new Decimal(10).pow(places));

function toTiers(s: Scenario): PriceTier[] {
  return s.prices.map((p, k) => ({
    upTo: k < s.bounds.length ? decimalOf(s.bounds[k]!, s.scale) : null,
    unitPrice: decimalOf(p, PRICE_PLACES),
    flatFee: decimalOf(s.fees[k]!, FEE_PLACES),
  }));
}

function priceScenario(s: Scenario, model: 'graduated' | 'volume'): bigint[] {
  const spec = charge({ model, tiers: toTiers(s) }, { tierBasis: s.basis, included: decimalOf(s.included, s.scale) });
  const lines = s.lines.map((q, i) => ({ dims: { n: String(i) }, version: 0, quantity: decimalOf(q, s.scale) }));
  const referenceScale = new Decimal(10).pow(PRICE_PLACES + s.scale);
  return price(spec, lines).map((p) => {
    const scaled = p.exact.times(referenceScale);
    expect(scaled.isInteger()).toBe(true);
    return BigInt(scaled.toFixed());
  });
}

const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);

describe('tiering properties', () => {
  it('graduated lines equal the unit-by-unit reference and sum to its total', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const reference = referenceGraduated(s);
        const priced = priceScenario(s, 'graduated');
        expect(priced).toEqual(reference);
        expect(sum(priced)).toBe(sum(reference));
      }),
      { numRuns: 300 },
    );
  });

  it('volume lines equal the unit-by-unit reference and sum to its total', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const reference = referenceVolume(s);
        const priced = priceScenario(s, 'volume');
        expect(priced).toEqual(reference);
        expect(sum(priced)).toBe(sum(reference));
      }),
      { numRuns: 300 },
    );
  });
});

// ---- lines of either sign (late corrections, credits metered as negative usage) ----

/** The same scenarios with some lines negated, so running positions go down and may cross 0 and tier bounds. */
const signedScenario: fc.Arbitrary<Scenario> = scenario.chain((s) =>
  fc.array(fc.boolean(), { minLength: s.lines.length, maxLength: s.lines.length }).map((negate) => ({ ...s, lines: s.lines.map((q, i) => (negate[i] ? -q : q)) })),
);

/** Billable slices (from, to] of each line, in smallest units: max(0, running − included) at each end. */
function billableSlices(s: Scenario): { from: number; to: number; total: number; first: boolean }[] {
  const out: { from: number; to: number; total: number; first: boolean }[] = new Array(s.lines.length);
  for (const basis of bases(s)) {
    const at = (position: number) => Math.max(0, position - s.included);
    const total = at(basis.reduce((sum, i) => sum + s.lines[i]!, 0));
    let running = 0;
    basis.forEach((i, j) => {
      out[i] = { from: at(running), to: at(running + s.lines[i]!), total, first: j === 0 };
      running += s.lines[i]!;
    });
  }
  return out;
}

/** F(q) of graduated: each tier's units below q at its price, plus its fee once q is above its lower bound. */
function graduatedTotal(s: Scenario, q: number): bigint {
  let amount = 0n;
  s.prices.forEach((p, k) => {
    const lower = k === 0 ? 0 : s.bounds[k - 1]!;
    const upper = k < s.bounds.length ? s.bounds[k]! : Infinity;
    amount += BigInt(Math.max(0, Math.min(q, upper) - lower)) * BigInt(p);
    if (q > lower) amount += feeInReferenceUnits(s, k);
  });
  return amount;
}

describe('tiering properties with negative lines', () => {
  it('graduated charges each line F(to) − F(from) of its billable slice, and never a negative zero', () => {
    fc.assert(
      fc.property(signedScenario, (s) => {
        const reference = billableSlices(s).map(({ from, to }) => graduatedTotal(s, to) - graduatedTotal(s, from));
        expect(priceScenario(s, 'graduated')).toEqual(reference);
        const spec = charge({ model: 'graduated', tiers: toTiers(s) }, { tierBasis: s.basis, included: decimalOf(s.included, s.scale) });
        for (const p of price(spec, s.lines.map((q) => ({ dims: {}, version: 0, quantity: decimalOf(q, s.scale) })))) {
          expect(p.exact.isZero() && p.exact.isNeg()).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('volume charges each line its billable units at the tier of the billable total, the fee on the first', () => {
    fc.assert(
      fc.property(signedScenario, (s) => {
        const reference = billableSlices(s).map(({ from, to, total, first }) => {
          const k = tierOf(total, s.bounds);
          return BigInt(to - from) * BigInt(s.prices[k]!) + (first && total > 0 ? feeInReferenceUnits(s, k) : 0n);
        });
        expect(priceScenario(s, 'volume')).toEqual(reference);
      }),
      { numRuns: 300 },
    );
  });
});

describe('allocateCumulative properties', () => {
  const allocation = fc.record({
    scale: fc.integer({ min: 0, max: 4 }),
    totalUnits: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
    weights: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1_000_000 })), { minLength: 1, maxLength: 20 }),
    weightPlaces: fc.integer({ min: 0, max: 6 }),
  });

  it('always sums exactly to the total and gives weight-0 events 0 when others weigh', () => {
    fc.assert(
      fc.property(allocation, ({ scale, totalUnits, weights, weightPlaces }) => {
        const total = new Decimal(totalUnits.toString()).div(new Decimal(10).pow(scale));
        const shares = allocateCumulative(total, weights.map((w) => decimalOf(w, weightPlaces)), scale);
        expect(shares).toHaveLength(weights.length);
        expect(shares.reduce((a, b) => a.plus(b), new Decimal(0)).eq(total)).toBe(true);
        for (const share of shares) expect(share.decimalPlaces()).toBeLessThanOrEqual(scale);
        if (weights.some((w) => w > 0)) {
          weights.forEach((w, i) => {
            if (w === 0) expect(shares[i]!.isZero()).toBe(true);
          });
        }
        if (totalUnits >= 0n) for (const share of shares) expect(share.isNeg()).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
