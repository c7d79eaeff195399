/**
 * Pricing throws only for states that earlier stages guarantee cannot happen (a matrix combination SQL
 * should have rejected, a version index out of range, a percentage line without its event amount).
 * Reaching one is a bug in tally, not bad data, so it is fatal rather than a rejected row.
 */
export class PricingInternalError extends Error {
  override name = 'PricingInternalError';

  constructor(charge: string, message: string) {
    super(`internal pricing error in charge "${charge}": ${message}`);
  }
}
