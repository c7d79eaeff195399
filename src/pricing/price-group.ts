/**
 * Prices the lines of one group: one account, one billing period, one charge.
 *
 * THE CHAIN, in this order (the order is the contract; SQL and docs follow it):
 *   1. Basis: each line's place on the tier basis, the group's lines in the given order (or each line
 *      alone for tierBasis 'line'), after the included allowance is consumed (basis.ts).
 *   2. Model: the price version named by the line's `version` prices the line at that place (models/*.ts),
 *      giving the exact model amount, unit price, tier reference and tier breakdown.
 *   3. Modifiers: multiply the model amount, in declared order (modifiers.ts).
 *   4. Minimum, then maximum, per line (modifiers.ts).
 *   5. Round once, to the currency's minor units with the charge's rounding mode (rounding.ts).
 * Nothing is rounded before step 5, and the exact amount is returned beside the rounded one.
 *
 * Lines must come sorted by version, then dimension values: that order decides which line takes which
 * slice of the tiers and of the allowance, and which line carries a once-per-group fee.
 */
import { Decimal, ZERO, dec, withProjectDecimals } from './decimal.js';
import { basisPositions } from './basis.js';
import { PricingInternalError } from './errors.js';
import { applyModifiers, clampLine } from './modifiers.js';
import { priceWithModel } from './registry.js';
import { roundMoney } from './rounding.js';
import type { ChargeSpec, GroupContext, LineInput, PricedLine, PriceModel } from './types.js';

/**
 * Charges re-made with the project's decimals once, then reused for every group of the run. A compiled
 * ChargeSpec is treated as immutable: mutating one after pricing with it would not be seen.
 */
const normalizedCharges = new WeakMap<ChargeSpec, ChargeSpec>();

function normalizedCharge(charge: ChargeSpec): ChargeSpec {
  let normalized = normalizedCharges.get(charge);
  if (!normalized) {
    normalized = withProjectDecimals(charge);
    normalizedCharges.set(charge, normalized);
  }
  return normalized;
}

/** Our own decimals pass as they are (decimals are immutable); another clone's are re-made. */
const own = (x: Decimal): Decimal => (x.constructor === Decimal ? x : dec(x));

function normalizedLine(line: LineInput): LineInput {
  if (line.quantity.constructor === Decimal && (line.eventAmount === undefined || line.eventAmount.constructor === Decimal)) return line;
  return {
    dims: line.dims,
    version: line.version,
    quantity: own(line.quantity),
    ...(line.eventAmount === undefined ? {} : { eventAmount: own(line.eventAmount) }),
  };
}

export function priceGroup(chargeSpec: ChargeSpec, lineInputs: readonly LineInput[], ctx: GroupContext): PricedLine[] {
  const charge = normalizedCharge(chargeSpec);
  const lines = lineInputs.map(normalizedLine);
  const models: PriceModel[] = lines.map((line) => {
    const version = charge.versions[line.version];
    if (!version) {
      throw new PricingInternalError(charge.name, `line has price version ${line.version}, the charge has ${charge.versions.length}`);
    }
    return version.model;
  });

  // 1. Basis
  const positions = basisPositions(
    lines.map((line, i) => ({ quantity: line.quantity, kind: models[i]!.model, version: line.version })),
    charge.tierBasis,
    charge.included,
  );

  return lines.map((line, i) => {
    // 2. Model
    const priced = priceWithModel(models[i]!, line, positions[i]!, charge.name);
    // 3. Modifiers, in declared order
    const modified = applyModifiers(priced.exact, charge.modifiers, line, ctx);
    // 4. Minimum, then maximum
    const clamped = clampLine(modified.amount, charge.minimum, charge.maximum);
    // 5. One rounding
    return {
      // A negative line in a free tier multiplies to −0: money has one zero, also unrounded.
      exact: clamped.amount.isZero() ? ZERO : clamped.amount,
      amount: roundMoney(clamped.amount, charge.minorUnits, charge.rounding),
      unitPrice: priced.unitPrice,
      tierRef: priced.tierRef,
      breakdown: priced.breakdown,
      trace: { modelAmount: priced.exact, factors: modified.factors, clampedTo: clamped.clampedTo },
    };
  });
}
