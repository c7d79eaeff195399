import { describe, expect, it } from 'vitest';
import { PricingInternalError } from '../../src/pricing/errors.js';
import { percentageEventCharges } from '../../src/pricing/models/percentage.js';
import type { PercentageModel, PercentageRules } from '../../src/pricing/types.js';
import { charge, d, exacts, line, price } from './helpers.js';

const rules = (overrides: Partial<PercentageRules> = {}): PercentageRules => ({
  rate: d('0.1'),
  fixedFee: d('0'),
  freeUnits: 0,
  freeAmount: d('0'),
  minPerEvent: null,
  maxPerEvent: null,
  ...overrides,
});

const charges = (amounts: string[], r: PercentageRules) =>
  percentageEventCharges(amounts.map((a) => ({ amount: d(a) })), r).map((x) => x.toFixed());

describe('percentageEventCharges', () => {
  it('charges rate × amount', () => {
    expect(charges(['10', '25.5'], rules())).toEqual(['1', '2.55']);
  });

  it('makes the first freeUnits events free', () => {
    expect(charges(['10', '10', '10'], rules({ freeUnits: 2 }))).toEqual(['0', '0', '1']);
  });

  it('makes freeAmount free; the event crossing it pays on its part above', () => {
    expect(charges(['10', '10', '10', '10'], rules({ freeAmount: d('25') }))).toEqual(['0', '0', '0.5', '1']);
  });

  it('counts the free amount from after the free units', () => {
    expect(charges(['100', '30', '30'], rules({ freeUnits: 1, freeAmount: d('50') }))).toEqual(['0', '0', '1']);
  });

  it('adds the fixed fee and clamps each event to min and max', () => {
    const card = rules({ rate: d('0.029'), fixedFee: d('0.30'), minPerEvent: d('0.50'), maxPerEvent: d('5.00') });
    expect(charges(['100', '1', '1000'], card)).toEqual(['3.2', '0.5', '5']);
  });

  it('charges an event with nothing chargeable 0: no fixed fee, no minimum', () => {
    const card = rules({ fixedFee: d('0.30'), minPerEvent: d('0.50'), freeAmount: d('100') });
    expect(charges(['50', '0'], card)).toEqual(['0', '0']);
  });

  it('matches the worked example in the model file', () => {
    const card = rules({ rate: d('0.029'), fixedFee: d('0.30'), freeUnits: 1, freeAmount: d('50'), minPerEvent: d('0.50'), maxPerEvent: d('5.00') });
    expect(charges(['100', '30', '40', '1000'], card)).toEqual(['0', '0', '0.88', '5']);
  });
});

describe('percentage lines', () => {
  const model: PercentageModel = { model: 'percentage', ...rules() };

  it('take the SQL event amount as the model amount, then modifiers apply', () => {
    const spec = charge(model, {
      modifiers: [{ label: 'partner discount', key: { account: true }, factors: { 'acct-9': d('0.90') }, defaultFactor: d('1') }],
    });
    const priced = price(spec, [{ dims: {}, version: 0, quantity: d('3'), eventAmount: d('12.345') }], 'acct-9');
    expect(exacts(priced)).toEqual(['11.1105']);
    expect(priced[0]!.amount.toFixed(2)).toBe('11.11');
    expect(priced[0]!.tierRef).toBe('percentage');
  });

  it('throw an internal error without an event amount', () => {
    expect(() => price(charge(model), [line('3')])).toThrow(PricingInternalError);
  });
});
