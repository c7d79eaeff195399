import { describe, expect, it } from 'vitest';
import { charge, d, exacts, line, price, refs } from './helpers.js';

describe('flat', () => {
  const fee = charge({ model: 'flat', amount: d('49.00') });

  it('charges the whole fee on the first line and 0 on the others, whatever the quantity', () => {
    const priced = price(fee, [line('0', { region: 'eu' }), line('1000', { region: 'us' })]);
    expect(exacts(priced)).toEqual(['49', '0']);
    expect(refs(priced)).toEqual(['flat', 'flat']);
    expect(priced[0]!.unitPrice).toBeNull();
  });

  it('ignores the included allowance', () => {
    expect(exacts(price({ ...fee, included: d('100') }, [line('5')]))).toEqual(['49']);
  });
});

describe('unit', () => {
  const perUnit = charge({ model: 'unit', unitPrice: d('0.0020') });

  it('is quantity × price', () => {
    const priced = price(perUnit, [line('1500')]);
    expect(exacts(priced)).toEqual(['3']);
    expect(priced[0]!.unitPrice!.toFixed()).toBe('0.002');
    expect(refs(priced)).toEqual(['unit']);
  });

  it('charges zero usage 0', () => {
    expect(exacts(price(perUnit, [line('0')]))).toEqual(['0']);
  });
});
