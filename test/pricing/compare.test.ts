import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { atLeastZero, compare, dec, maxOf, minOf, ZERO } from '../../src/pricing/decimal.js';

// Values of every shape decimal.js stores differently: long and short digit arrays, large and tiny exponents,
// trailing zeros across a base-10^7 word, both signs, and zeros of both signs.
const digits = fc.string({ unit: fc.constantFrom('0', '1', '5', '9'), minLength: 1, maxLength: 40 });
const value = fc.tuple(fc.boolean(), digits, fc.integer({ min: -40, max: 40 })).map(([neg, d, e]) => dec(`${neg ? '-' : ''}${d}e${e}`));

describe('compare', () => {
  it('orders exactly as decimal.js comparedTo does', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(compare(a, b)).toBe(a.comparedTo(b));
        expect(compare(a, a.plus(0))).toBe(0);
      }),
      { numRuns: 20000 },
    );
  });

  it('handles zeros, signs and values that differ only in a later digit word', () => {
    expect(compare(dec('-0'), ZERO)).toBe(0);
    expect(compare(dec('-1'), dec('-2'))).toBe(1);
    expect(compare(dec('1.00000001'), dec('1.00000002'))).toBe(-1);
    expect(compare(dec('12345678.9'), dec('12345678'))).toBe(1);
    expect(compare(dec('-12345678.9'), dec('-12345678'))).toBe(-1);
    expect(compare(dec('1e-30'), ZERO)).toBe(1);
  });

  it('gives max, min and max(0, x) by it', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(maxOf(a, b).eq(a.gte(b) ? a : b)).toBe(true);
        expect(minOf(a, b).eq(a.lte(b) ? a : b)).toBe(true);
        const clamped = atLeastZero(a);
        expect(clamped.eq(a.gt(0) ? a : ZERO)).toBe(true);
        expect(clamped.isNeg()).toBe(false); // never a negative zero
      }),
      { numRuns: 5000 },
    );
  });
});
