/**
 * A small language for pricing tests: decimals from strings, charges with defaults, lines in one call,
 * and results read back as strings so expectations stay hand-checkable.
 */
import { Decimal } from '../../src/pricing/decimal.js';
import { priceGroup } from '../../src/pricing/price-group.js';
import type { ChargeSpec, LineInput, PricedLine, PriceModel, PriceTier } from '../../src/pricing/types.js';

export const d = (value: string | number): Decimal => new Decimal(value);

/** A charge with one price version and no extras unless overridden. */
export function charge(model: PriceModel, overrides: Partial<ChargeSpec> = {}): ChargeSpec {
  return {
    name: 'test-charge',
    currency: 'EUR',
    minorUnits: 2,
    rounding: 'half_even',
    tierBasis: 'group',
    included: d(0),
    versions: [{ effectiveFrom: null, model }],
    modifiers: [],
    minimum: null,
    maximum: null,
    ...overrides,
  };
}

export function line(quantity: string, dims: Record<string, string | null> = {}, version = 0): LineInput {
  return { dims, version, quantity: d(quantity) };
}

/** Tiers from [upTo, unitPrice, flatFee?] rows; upTo null = the open last tier. */
export function tiers(rows: [string | null, string, string?][]): PriceTier[] {
  return rows.map(([upTo, unitPrice, flatFee]) => ({
    upTo: upTo === null ? null : d(upTo),
    unitPrice: d(unitPrice),
    ...(flatFee === undefined ? {} : { flatFee: d(flatFee) }),
  }));
}

export function price(spec: ChargeSpec, lines: LineInput[], account = 'acct-1'): PricedLine[] {
  return priceGroup(spec, lines, { account });
}

/** Exact amounts in canonical form ("47", "10.008"). */
export const exacts = (priced: PricedLine[]): string[] => priced.map((p) => p.exact.toFixed());

/** Rounded amounts with their minor units ("47.00"). */
export const amounts = (priced: PricedLine[], minorUnits = 2): string[] => priced.map((p) => p.amount.toFixed(minorUnits));

export const refs = (priced: PricedLine[]): string[] => priced.map((p) => p.tierRef);

/** The S1 rate cards from the design examples. */
export const S1_GRADUATED = tiers([['1000', '0.0100'], ['5000', '0.0080'], [null, '0.0050']]);
export const S1_VOLUME = tiers([['2000', '0.090'], ['6000', '0.085'], [null, '0.070']]);
