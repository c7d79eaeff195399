/**
 * Minor units (decimal places) of ISO 4217 currencies whose minor unit is not 2. Any other three-letter code
 * has 2; a virtual currency (e.g. "credits") declares `minor_units` in the ruleset.
 */
const NOT_TWO: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

export function minorUnitsOf(currency: string): number {
  return NOT_TWO[currency] ?? 2;
}

/** Decimal places an amount of `currency` may have: the ISO minor units for three-letter codes, 12 for virtual currencies. */
export function placesOf(currency: string): number {
  return /^[A-Z]{3}$/.test(currency) ? minorUnitsOf(currency) : 12;
}

/** An amount as text with at least its currency's places (12.5 USD → 12.50), never rounded. */
export function moneyText(d: { toFixed(places: number): string; decimalPlaces(): number }, currency: string): string {
  return d.toFixed(Math.max(placesOf(currency), d.decimalPlaces()));
}
