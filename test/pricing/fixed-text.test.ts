import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dec, fixedText } from '../../src/pricing/decimal.js';

describe('fixedText', () => {
  it('gives the text of toFixed(places), padded or rounded', () => {
    const digits = fc.string({ unit: fc.constantFrom('0', '1', '5', '9'), minLength: 1, maxLength: 30 });
    const value = fc.tuple(fc.boolean(), digits, fc.integer({ min: -30, max: 30 })).map(([neg, d, e]) => dec(`${neg ? '-' : ''}${d}e${e}`));
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 12 }), (x, places) => {
        expect(fixedText(x, places)).toBe(x.toFixed(places));
      }),
      { numRuns: 5000 },
    );
  });

  it('handles zero, negative zero and whole numbers', () => {
    expect(fixedText(dec('-0'), 2)).toBe('0.00');
    expect(fixedText(dec('0'), 0)).toBe('0');
    expect(fixedText(dec('12'), 3)).toBe('12.000');
    expect(fixedText(dec('-1.5'), 2)).toBe('-1.50');
    expect(fixedText(dec('1e-8'), 2)).toBe('0.00');
    expect(fixedText(dec('1.2345'), 2)).toBe('1.23');
  });
});
