import { describe, expect, it } from 'vitest';
import { PricingInternalError } from '../../src/pricing/errors.js';
import type { MatrixModel } from '../../src/pricing/types.js';
import { charge, d, exacts, line, price, refs } from './helpers.js';

describe('matrix', () => {
  const model: MatrixModel = {
    model: 'matrix',
    dimensions: ['region', 'tier'],
    entries: [
      { values: { region: 'us', tier: 'gold' }, unitPrice: d('0.010') },
      { values: { region: 'eu', tier: 'gold' }, unitPrice: d('0.012') },
    ],
    defaultPrice: d('0.015'),
  };

  it('prices a line by its combination of dimension values', () => {
    const priced = price(charge(model), [line('100', { region: 'eu', tier: 'gold' }), line('100', { region: 'us', tier: 'gold' })]);
    expect(exacts(priced)).toEqual(['1.2', '1']);
    expect(refs(priced)).toEqual(['matrix region=eu tier=gold', 'matrix region=us tier=gold']);
    expect(priced.map((p) => p.unitPrice!.toFixed())).toEqual(['0.012', '0.01']);
  });

  it('uses the default price for an unknown combination or a null value', () => {
    const priced = price(charge(model), [line('100', { region: 'ap', tier: 'gold' }), line('100', { region: null, tier: 'gold' })]);
    expect(exacts(priced)).toEqual(['1.5', '1.5']);
    expect(refs(priced)).toEqual(['matrix default', 'matrix default']);
  });

  it('remembers a frozen dimension object, and looks a mutable one up again each time', () => {
    const shared = Object.freeze({ region: 'eu', tier: 'gold' });
    const c = charge(model);
    expect(exacts(price(c, [line('100', shared), line('10', shared)]))).toEqual(['1.2', '0.12']);
    expect(refs(price(c, [line('1', shared)]))).toEqual(['matrix region=eu tier=gold']);
    const mutable: Record<string, string> = { region: 'eu', tier: 'gold' };
    expect(exacts(price(c, [line('100', mutable)]))).toEqual(['1.2']);
    mutable.region = 'us';
    expect(exacts(price(c, [line('100', mutable)]))).toEqual(['1']);
    expect(refs(price(c, [line('100', mutable)]))).toEqual(['matrix region=us tier=gold']);
  });

  it('throws an internal error for an unknown combination when there is no default', () => {
    const strict = charge({ ...model, defaultPrice: null });
    expect(() => price(strict, [line('1', { region: 'ap', tier: 'gold' })])).toThrow(PricingInternalError);
    expect(() => price(strict, [line('1', { region: 'ap', tier: 'gold' })])).toThrow(/region=ap tier=gold/);
  });
});

describe('time_of_day', () => {
  const bands = charge({
    model: 'time_of_day',
    dimension: 'time_band',
    bands: [
      { name: 'peak', unitPrice: d('0.20') },
      { name: 'off_peak', unitPrice: d('0.08') },
    ],
  });

  it('prices each line at its band', () => {
    const priced = price(bands, [line('70', { time_band: 'off_peak' }), line('30', { time_band: 'peak' })]);
    expect(exacts(priced)).toEqual(['5.6', '6']);
    expect(refs(priced)).toEqual(['band off_peak', 'band peak']);
    expect(priced.map((p) => p.unitPrice!.toFixed())).toEqual(['0.08', '0.2']);
  });

  it('takes the included allowance from the lines in order', () => {
    const priced = price({ ...bands, included: d('50') }, [line('70', { time_band: 'off_peak' }), line('30', { time_band: 'peak' })]);
    expect(exacts(priced)).toEqual(['1.6', '6']);
  });

  it('throws an internal error for a band with no price', () => {
    expect(() => price(bands, [line('1', { time_band: 'shoulder' })])).toThrow(PricingInternalError);
    expect(() => price(bands, [line('1', { time_band: null })])).toThrow(PricingInternalError);
  });
});
