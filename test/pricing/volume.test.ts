import { describe, expect, it } from 'vitest';
import { S1_VOLUME, amounts, charge, exacts, line, price, refs, tiers } from './helpers.js';

const s1 = charge({ model: 'volume', tiers: S1_VOLUME });

describe('volume', () => {
  it('keeps a total exactly at upTo in that tier (≤), one more goes to the next', () => {
    expect(exacts(price(s1, [line('2000')]))).toEqual(['180']);
    expect(refs(price(s1, [line('2000')]))).toEqual(['volume tier 1']);
    expect(exacts(price(s1, [line('2001')]))).toEqual(['170.085']);
    expect(refs(price(s1, [line('2001')]))).toEqual(['volume tier 2']);
    expect(exacts(price(s1, [line('6000')]))).toEqual(['510']);
    expect(exacts(price(s1, [line('6001')]))).toEqual(['420.07']);
    expect(refs(price(s1, [line('6001')]))).toEqual(['volume tier 3']);
  });

  it('rounds 170.085 half-even to 170.08 and half-up to 170.09', () => {
    expect(amounts(price(s1, [line('2001')]))).toEqual(['170.08']);
    expect(amounts(price({ ...s1, rounding: 'half_up' }, [line('2001')]))).toEqual(['170.09']);
  });

  it('prices every line at the tier reached by the group total', () => {
    const priced = price(s1, [line('1000', { region: 'eu' }), line('2000', { region: 'us' })]);
    expect(exacts(priced)).toEqual(['85', '170']);
    expect(priced.map((p) => p.unitPrice!.toFixed())).toEqual(['0.085', '0.085']);
  });

  it('prices zero usage at 0 in the first tier', () => {
    const priced = price(s1, [line('0')]);
    expect(exacts(priced)).toEqual(['0']);
    expect(refs(priced)).toEqual(['volume tier 1']);
  });

  it("adds the reached tier's flat fee once per basis, on its first line", () => {
    const withFees = charge({ model: 'volume', tiers: tiers([['10', '1', '3'], [null, '0.5', '7']]) });
    expect(exacts(price(withFees, [line('8'), line('8')]))).toEqual(['11', '4']); // total 16: tier 2
    expect(exacts(price({ ...withFees, tierBasis: 'line' }, [line('8'), line('8')]))).toEqual(['11', '11']);
    expect(exacts(price(withFees, [line('0')]))).toEqual(['0']); // no usage, no fee
  });
});
