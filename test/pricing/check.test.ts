import { describe, expect, it } from 'vitest';
import { checkCharge, checkModel } from '../../src/pricing/check.js';
import { MODEL_KINDS, getPricer } from '../../src/pricing/registry.js';
import type { ChargeSpec, PriceModel } from '../../src/pricing/types.js';
import { S1_GRADUATED, charge, d, tiers } from './helpers.js';

const invalidModels: [string, PriceModel, string][] = [
  ['no tiers', { model: 'graduated', tiers: [] }, 'tiers'],
  ['tiers not increasing', { model: 'volume', tiers: tiers([['100', '1'], ['100', '1'], [null, '1']]) }, 'tiers[1].upTo'],
  ['first tier at 0', { model: 'graduated', tiers: tiers([['0', '1'], [null, '1']]) }, 'tiers[0].upTo'],
  ['open tier before the last', { model: 'graduated', tiers: tiers([[null, '1'], [null, '1']]) }, 'tiers[0].upTo'],
  ['bounded last tier', { model: 'volume', tiers: tiers([['100', '1']]) }, 'tiers[0].upTo'],
  ['package size 0', { model: 'package', packageSize: d('0'), packagePrice: d('1') }, 'packageSize'],
  ['tiered package size 0', { model: 'tiered_package', packageSize: d('0'), tiers: [{ upTo: null, packagePrice: d('1') }] }, 'packageSize'],
  ['matrix without dimensions', { model: 'matrix', dimensions: [], entries: [], defaultPrice: null }, 'dimensions'],
  ['matrix entry missing a value', { model: 'matrix', dimensions: ['a', 'b'], entries: [{ values: { a: 'x' }, unitPrice: d('1') }], defaultPrice: null }, 'entries[0].values'],
  ['matrix entry with an extra value', { model: 'matrix', dimensions: ['a'], entries: [{ values: { a: 'x', b: 'y' }, unitPrice: d('1') }], defaultPrice: null }, 'entries[0].values'],
  ['matrix duplicate', { model: 'matrix', dimensions: ['a'], entries: [{ values: { a: 'x' }, unitPrice: d('1') }, { values: { a: 'x' }, unitPrice: d('2') }], defaultPrice: null }, 'entries[1].values'],
  ['no bands', { model: 'time_of_day', dimension: 'band', bands: [] }, 'bands'],
  ['duplicate band', { model: 'time_of_day', dimension: 'band', bands: [{ name: 'peak', unitPrice: d('1') }, { name: 'peak', unitPrice: d('2') }] }, 'bands[1].name'],
  ['fractional free units', { model: 'percentage', rate: d('0.1'), fixedFee: d('0'), freeUnits: 1.5, freeAmount: d('0'), minPerEvent: null, maxPerEvent: null }, 'freeUnits'],
  ['per-event min above max', { model: 'percentage', rate: d('0.1'), fixedFee: d('0'), freeUnits: 0, freeAmount: d('0'), minPerEvent: d('2'), maxPerEvent: d('1') }, 'minPerEvent'],
];

describe('model checks', () => {
  it.each(invalidModels)('%s → problem at %s', (_name, model, path) => {
    expect(checkModel(model).map((p) => p.path)).toContain(path);
  });

  it('accepts valid models', () => {
    expect(checkModel({ model: 'graduated', tiers: S1_GRADUATED })).toEqual([]);
    expect(checkModel({ model: 'flat', amount: d('1') })).toEqual([]);
  });

  it('has a pricer for every model kind', () => {
    for (const kind of MODEL_KINDS) expect(getPricer(kind).model).toBe(kind);
  });
});

describe('charge checks', () => {
  const ok = charge({ model: 'unit', unitPrice: d('1') });
  const invalidCharges: [string, Partial<ChargeSpec>, string][] = [
    ['no versions', { versions: [] }, 'versions'],
    ['a version with a bad model', { versions: [ok.versions[0]!, { effectiveFrom: '2025-01-01T00:00:00Z', model: { model: 'volume', tiers: [] } }] }, 'versions[1].model.tiers'],
    ['negative included', { included: d('-1') }, 'included'],
    ['minimum above maximum', { minimum: d('10'), maximum: d('5') }, 'minimum'],
    ['fractional minor units', { minorUnits: 1.5 }, 'minorUnits'],
  ];

  it.each(invalidCharges)('%s → problem at %s', (_name, overrides, path) => {
    expect(checkCharge({ ...ok, ...overrides }).map((p) => p.path)).toContain(path);
  });

  it('accepts a valid charge', () => {
    expect(checkCharge(ok)).toEqual([]);
  });
});
