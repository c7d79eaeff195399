import { Decimal as DefaultPrecisionDecimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { PricingInternalError } from '../../src/pricing/errors.js';
import type { Modifier } from '../../src/pricing/types.js';
import { S1_GRADUATED, S1_VOLUME, amounts, charge, d, exacts, line, price, tiers } from './helpers.js';

const regionUplift: Modifier = { label: 'region uplift', key: { dimension: 'region' }, factors: { 'ap-south': d('1.20') }, defaultFactor: d('1') };
const partnerDiscount: Modifier = { label: 'partner discount', key: { account: true }, factors: { 'acct-9': d('0.90') }, defaultFactor: d('1') };

describe('priceGroup: included allowance', () => {
  it('consumes the allowance in line order, then slices the tiers (graduated)', () => {
    // Running 300, 700, 6500 minus 500 included → billable 0→0, 0→200, 200→6000.
    const spec = charge({ model: 'graduated', tiers: S1_GRADUATED }, { included: d('500') });
    const priced = price(spec, [line('300'), line('400'), line('5800')]);
    expect(exacts(priced)).toEqual(['0', '2', '45']); // 200 × 0.01; 800 × 0.01 + 32 + 5
    expect(priced[0]!.tierRef).toBe('no billable units');
  });

  it('prices only the billable part for unit models', () => {
    const spec = charge({ model: 'unit', unitPrice: d('0.5') }, { included: d('100') });
    expect(exacts(price(spec, [line('80'), line('50')]))).toEqual(['0', '15']);
    expect(exacts(price({ ...spec, tierBasis: 'line' }, [line('80'), line('150')]))).toEqual(['0', '25']);
  });

  it('chooses the volume tier by the billable total and applies it to each billable part', () => {
    const spec = charge({ model: 'volume', tiers: S1_VOLUME }, { included: d('1000') });
    // 3100 − 1000 = 2100 billable → tier 2: 500 × 0.085, 1600 × 0.085
    expect(exacts(price(spec, [line('1500'), line('1600')]))).toEqual(['42.5', '136']);
    // 3000 − 1000 = 2000 billable → still tier 1 (≤)
    expect(exacts(price(spec, [line('1500'), line('1500')]))).toEqual(['45', '135']);
  });
});

describe('priceGroup: modifiers, then minimum and maximum', () => {
  const unitCharge = charge({ model: 'unit', unitPrice: d('1') }, { modifiers: [regionUplift, partnerDiscount] });

  it('multiplies by each modifier in declared order (uplift, then discount)', () => {
    const [line1] = price(unitCharge, [line('100', { region: 'ap-south' })], 'acct-9');
    expect(line1!.exact.toFixed()).toBe('108');
    expect(line1!.trace.modelAmount.toFixed()).toBe('100');
    expect(line1!.trace.factors.map((f) => `${f.label} ${f.factor.toFixed()}`)).toEqual(['region uplift 1.2', 'partner discount 0.9']);
  });

  it('uses the default factor for other values, a null dimension and other accounts', () => {
    const priced = price(unitCharge, [line('100', { region: 'ap-south' }), line('100', { region: 'us-east' }), line('100', { region: null })], 'acct-1');
    expect(exacts(priced)).toEqual(['120', '100', '100']);
  });

  it('S1: volume tier 2 with ap-south × 1.20', () => {
    const spec = charge({ model: 'volume', tiers: S1_VOLUME }, { modifiers: [regionUplift] });
    const priced = price(spec, [line('2500', { region: 'ap-south' }), line('1500', { region: 'us-east' })]);
    expect(amounts(priced)).toEqual(['255.00', '127.50']); // 4000 → 0.085; 212.50 × 1.20; 127.50
  });

  it('clamps after the modifiers: the minimum sees the discounted amount', () => {
    const spec = charge({ model: 'unit', unitPrice: d('1') }, { modifiers: [partnerDiscount], minimum: d('95') });
    const [only] = price(spec, [line('100')], 'acct-9');
    expect(only!.exact.toFixed()).toBe('95'); // 100 × 0.90 = 90 → 95 (clamping first would give 90)
    expect(only!.trace.clampedTo).toBe('minimum');
  });

  it('clamps after the modifiers: the maximum sees the uplifted amount', () => {
    const spec = charge({ model: 'unit', unitPrice: d('1') }, { modifiers: [regionUplift], maximum: d('110') });
    const priced = price(spec, [line('100', { region: 'ap-south' }), line('50', { region: 'ap-south' })]);
    expect(exacts(priced)).toEqual(['110', '60']);
    expect(priced.map((p) => p.trace.clampedTo)).toEqual(['maximum', null]);
  });

  it('applies the minimum to every line, including zero lines', () => {
    const spec = charge({ model: 'unit', unitPrice: d('1') }, { minimum: d('2.50') });
    expect(exacts(price(spec, [line('0'), line('10')]))).toEqual(['2.5', '10']);
  });
});

describe('priceGroup: effective-dated versions', () => {
  it('prices each line with the model of its version', () => {
    const spec = charge({ model: 'unit', unitPrice: d('0.10') }, {
      versions: [
        { effectiveFrom: null, model: { model: 'unit', unitPrice: d('0.10') } },
        { effectiveFrom: '2025-03-15T00:00:00Z', model: { model: 'graduated', tiers: tiers([['100', '1'], [null, '0.5']]) } },
      ],
    });
    const priced = price(spec, [line('100', {}, 0), line('150', {}, 1)]);
    // version 1 continues the group's running quantity: its 150 units sit at 100→250, all in tier 2.
    expect(exacts(priced)).toEqual(['10', '75']);
    expect(priced.map((p) => p.tierRef)).toEqual(['unit', 'tier 2 of 2']);
  });

  it('charges a flat fee once per group even across versions', () => {
    const spec = charge({ model: 'flat', amount: d('49') }, {
      versions: [
        { effectiveFrom: null, model: { model: 'flat', amount: d('49') } },
        { effectiveFrom: '2025-03-15T00:00:00Z', model: { model: 'flat', amount: d('59') } },
      ],
    });
    expect(exacts(price(spec, [line('1', {}, 0), line('1', {}, 1)]))).toEqual(['49', '0']);
  });

  it('throws an internal error for a version the charge does not have', () => {
    expect(() => price(charge({ model: 'unit', unitPrice: d('1') }), [line('1', {}, 1)])).toThrow(PricingInternalError);
  });
});

describe('priceGroup: decimals', () => {
  it('stays exact with decimals made by another decimal.js clone (20 digits)', () => {
    const spec = charge({ model: 'unit', unitPrice: new DefaultPrecisionDecimal('0.000000000123456789') });
    const quantity = new DefaultPrecisionDecimal('123456789012345678901');
    const [only] = price(spec, [{ dims: {}, version: 0, quantity }]);
    const digits = (123456789012345678901n * 123456789n).toString(); // scaled by 10^18
    expect(only!.exact.toFixed()).toBe(`${digits.slice(0, -18)}.${digits.slice(-18)}`.replace(/\.?0+$/, ''));
  });

  it('returns the lines in the order given', () => {
    const spec = charge({ model: 'unit', unitPrice: d('1') });
    expect(exacts(price(spec, [line('3'), line('1'), line('2')]))).toEqual(['3', '1', '2']);
    expect(price(spec, [])).toEqual([]);
  });
});
