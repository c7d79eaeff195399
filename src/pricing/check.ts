/**
 * Checks a compiled charge against what pricing relies on, returning problems as data (never throwing):
 * the ruleset compiler turns them into located diagnostics. Paths use the ChargeSpec's field names,
 * e.g. `versions[1].model.tiers[2].upTo`.
 */
import type { ModelProblem, PricerDefinition } from './definition.js';
import { getPricer } from './registry.js';
import type { ChargeSpec, ModelKind, PriceModel } from './types.js';

export function checkModel(model: PriceModel): ModelProblem[] {
  const pricer = getPricer(model.model) as PricerDefinition<ModelKind>;
  return pricer.check(model as never);
}

export function checkCharge(charge: ChargeSpec): ModelProblem[] {
  const problems: ModelProblem[] = [];
  if (charge.versions.length === 0) problems.push({ path: 'versions', code: 'versions_empty', message: 'needs at least one price version' });
  charge.versions.forEach((version, i) => {
    for (const p of checkModel(version.model)) problems.push({ ...p, path: `versions[${i}].model.${p.path}` });
  });
  if (!Number.isInteger(charge.minorUnits) || charge.minorUnits < 0) {
    problems.push({ path: 'minorUnits', code: 'minor_units', message: 'minorUnits must be a whole number, 0 or more' });
  }
  if (charge.included.isNeg()) problems.push({ path: 'included', code: 'included_negative', message: 'included must not be negative' });
  if (charge.minimum !== null && charge.maximum !== null && charge.minimum.gt(charge.maximum)) {
    problems.push({ path: 'minimum', code: 'min_above_max', message: 'minimum must not be above maximum' });
  }
  return problems;
}
