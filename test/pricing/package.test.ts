import { describe, expect, it } from 'vitest';
import { charge, d, exacts, line, price, refs } from './helpers.js';

describe('package', () => {
  const tens = charge({ model: 'package', packageSize: d('10'), packagePrice: d('5.00') });

  it.each([
    ['0', '0', 'package 0 x 10'],
    ['1', '5', 'package 1 x 10'],
    ['10', '5', 'package 1 x 10'],
    ['11', '10', 'package 2 x 10'],
    ['0.5', '5', 'package 1 x 10'],
  ])('%s units → %s (%s)', (quantity, expected, ref) => {
    const priced = price(tens, [line(quantity)]);
    expect(exacts(priced)).toEqual([expected]);
    expect(refs(priced)).toEqual([ref]);
  });

  it('charges each line the packages it starts', () => {
    expect(exacts(price(tens, [line('4'), line('7')]))).toEqual(['5', '5']);
    expect(refs(price(tens, [line('4'), line('6')]))).toEqual(['package 1 x 10', 'package 0 x 10']);
  });

  it('counts packages after the included allowance', () => {
    expect(exacts(price({ ...tens, included: d('10') }, [line('10'), line('1')]))).toEqual(['0', '5']);
  });
});

describe('tiered_package', () => {
  const spec = charge({
    model: 'tiered_package',
    packageSize: d('100'),
    tiers: [
      { upTo: d('1000'), packagePrice: d('10.00') },
      { upTo: null, packagePrice: d('6.00') },
    ],
  });

  it('charges per started package within each tier', () => {
    expect(exacts(price(spec, [line('0')]))).toEqual(['0']);
    expect(exacts(price(spec, [line('1000')]))).toEqual(['100']);
    expect(refs(price(spec, [line('1000')]))).toEqual(['package tier 1 of 2']);
    expect(exacts(price(spec, [line('1001')]))).toEqual(['106']);
    expect(exacts(price(spec, [line('1250')]))).toEqual(['118']); // 10 × 10 + 3 × 6
    expect(refs(price(spec, [line('1250')]))).toEqual(['package tiers 1-2 of 2']);
  });

  it('restarts packages at a tier boundary that is not a multiple of the package size', () => {
    const odd = charge({
      model: 'tiered_package',
      packageSize: d('100'),
      tiers: [{ upTo: d('150'), packagePrice: d('10') }, { upTo: null, packagePrice: d('6') }],
    });
    expect(exacts(price(odd, [line('200')]))).toEqual(['26']); // 150 → 2 packages, 50 → 1 package
  });

  it('slices lines like graduated: a line filling a started package pays nothing for it', () => {
    const priced = price(spec, [line('950'), line('300')]);
    expect(exacts(priced)).toEqual(['100', '18']);
    expect(priced[1]!.breakdown.map((s) => [s.tier, s.quantity.toFixed(), s.packages!.toFixed(), s.amount.toFixed()])).toEqual([
      [1, '50', '0', '0'],
      [2, '250', '3', '18'],
    ]);
  });
});
