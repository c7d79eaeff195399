import { describe, expect, it } from 'vitest';
import { roundMoney } from '../../src/pricing/rounding.js';
import type { RoundingMode } from '../../src/pricing/types.js';
import { charge, d, line, price } from './helpers.js';

describe('roundMoney', () => {
  const cases: [string, number, RoundingMode, string][] = [
    ['0.125', 2, 'half_even', '0.12'],
    ['0.125', 2, 'half_up', '0.13'],
    ['0.135', 2, 'half_even', '0.14'],
    ['-0.125', 2, 'half_even', '-0.12'],
    ['-0.125', 2, 'half_up', '-0.13'],
    // 2.675 is 2.67499999… as a float; as a decimal it is an exact midpoint.
    ['2.675', 2, 'half_even', '2.68'],
    ['2.675', 2, 'half_up', '2.68'],
    ['2.665', 2, 'half_even', '2.66'],
    ['2.665', 2, 'half_up', '2.67'],
    ['0.1251', 2, 'half_even', '0.13'],
    ['0.1249', 2, 'half_up', '0.12'],
    ['2.5', 0, 'half_even', '2'],
    ['2.5', 0, 'half_up', '3'],
    ['-2.5', 0, 'half_up', '-3'],
    ['1.0005', 3, 'half_even', '1'],
    ['1.0005', 3, 'half_up', '1.001'],
    ['47', 2, 'half_even', '47'],
  ];
  it.each(cases)('%s to %i places %s = %s', (x, places, mode, expected) => {
    expect(roundMoney(d(x), places, mode).toFixed()).toBe(expected);
  });

  it('never returns a negative zero', () => {
    const r = roundMoney(d('-0.001'), 2, 'half_even');
    expect(r.isZero()).toBe(true);
    expect(r.isNeg()).toBe(false);
  });

  it('is the single rounding at the end of the chain, with the charge mode', () => {
    const spec = charge({ model: 'unit', unitPrice: d('0.0125') });
    const [even] = price(spec, [line('10')]);
    const [up] = price({ ...spec, rounding: 'half_up' }, [line('10')]);
    expect([even!.exact.toFixed(), even!.amount.toFixed(2)]).toEqual(['0.125', '0.12']);
    expect([up!.exact.toFixed(), up!.amount.toFixed(2)]).toEqual(['0.125', '0.13']);
  });
});
