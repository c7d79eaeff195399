import { describe, expect, it } from 'vitest';
import { S1_GRADUATED, amounts, charge, exacts, line, price, refs, tiers } from './helpers.js';

const s1 = charge({ model: 'graduated', tiers: S1_GRADUATED });

describe('graduated', () => {
  it('S1: 6000 units = 1000 × 0.0100 + 4000 × 0.0080 + 1000 × 0.0050 = 47.00', () => {
    const priced = price(s1, [line('6000')]);
    expect(amounts(priced)).toEqual(['47.00']);
    expect(refs(priced)).toEqual(['tiers 1-3 of 3']);
    expect(priced[0]!.unitPrice).toBeNull();
    expect(priced[0]!.breakdown.map((s) => [s.tier, s.from.toFixed(), s.to.toFixed(), s.quantity.toFixed(), s.amount.toFixed()])).toEqual([
      [1, '0', '1000', '1000', '10'],
      [2, '1000', '5000', '4000', '32'],
      [3, '5000', '6000', '1000', '5'],
    ]);
  });

  it('puts a quantity exactly at upTo in that tier, and one more in the next', () => {
    expect(exacts(price(s1, [line('1000')]))).toEqual(['10']);
    expect(refs(price(s1, [line('1000')]))).toEqual(['tier 1 of 3']);
    expect(exacts(price(s1, [line('1001')]))).toEqual(['10.008']);
    expect(refs(price(s1, [line('1001')]))).toEqual(['tiers 1-2 of 3']);
    expect(exacts(price(s1, [line('5000')]))).toEqual(['42']);
    expect(exacts(price(s1, [line('5001')]))).toEqual(['42.005']);
  });

  it('rounds 42.005 once: half-even 42.00, half-up 42.01', () => {
    expect(amounts(price(s1, [line('5001')]))).toEqual(['42.00']);
    expect(amounts(price({ ...s1, rounding: 'half_up' }, [line('5001')]))).toEqual(['42.01']);
  });

  it('charges nothing for zero usage', () => {
    const priced = price(s1, [line('0')]);
    expect(exacts(priced)).toEqual(['0']);
    expect(refs(priced)).toEqual(['no billable units']);
    expect(priced[0]!.breakdown).toEqual([]);
  });

  it('gives several lines consecutive slices of the group total, summing to F(total)', () => {
    const priced = price(s1, [line('800', { region: 'eu' }), line('5200', { region: 'us' })]);
    expect(exacts(priced)).toEqual(['8', '39']); // 800 × 0.01; 200 × 0.01 + 4000 × 0.008 + 1000 × 0.005
    expect(refs(priced)).toEqual(['tier 1 of 3', 'tiers 1-3 of 3']);
    expect(priced[1]!.breakdown.map((s) => [s.tier, s.from.toFixed(), s.to.toFixed()])).toEqual([
      [1, '800', '1000'],
      [2, '1000', '5000'],
      [3, '5000', '6000'],
    ]);
  });

  it('prices each line alone with tierBasis line', () => {
    const priced = price({ ...s1, tierBasis: 'line' }, [line('800'), line('5200')]);
    expect(exacts(priced)).toEqual(['8', '43']); // 10 + 32 + 200 × 0.005
  });

  it('charges a tier flat fee once, on the line that enters the tier', () => {
    const withFees = charge({ model: 'graduated', tiers: tiers([['100', '1', '5'], [null, '0.5', '20']]) });
    expect(exacts(price(withFees, [line('100')]))).toEqual(['105']);
    expect(exacts(price(withFees, [line('101')]))).toEqual(['125.5']);
    // F(120) = 100 + 5 + 20 × 0.5 + 20 = 135 = 65 + 70
    const priced = price(withFees, [line('60'), line('60')]);
    expect(exacts(priced)).toEqual(['65', '70']);
    expect(priced[1]!.breakdown.map((s) => s.flatFee?.toFixed() ?? '-')).toEqual(['-', '20']);
  });
});
