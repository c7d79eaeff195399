/**
 * The price models tally knows, as an explicit map: adding a model means adding its file and one entry
 * here (the mapped type makes a missing entry a compile error). Nothing registers itself on import.
 */
import type { BasisPosition, ModelPrice, PricerDefinition } from './definition.js';
import { flatPricer } from './models/flat.js';
import { graduatedPricer } from './models/graduated.js';
import { matrixPricer } from './models/matrix.js';
import { packagePricer } from './models/package.js';
import { percentagePricer } from './models/percentage.js';
import { tieredPackagePricer } from './models/tiered-package.js';
import { timeOfDayPricer } from './models/time-of-day.js';
import { unitPricer } from './models/unit.js';
import { volumePricer } from './models/volume.js';
import type { LineInput, ModelKind, PriceModel } from './types.js';

const pricers: { readonly [K in ModelKind]: PricerDefinition<K> } = {
  flat: flatPricer,
  unit: unitPricer,
  graduated: graduatedPricer,
  volume: volumePricer,
  package: packagePricer,
  tiered_package: tieredPackagePricer,
  matrix: matrixPricer,
  time_of_day: timeOfDayPricer,
  percentage: percentagePricer,
};

export const MODEL_KINDS = Object.keys(pricers) as ModelKind[];

export function getPricer<K extends ModelKind>(model: K): PricerDefinition<K> {
  return pricers[model];
}

/** Prices one line with whichever model `model` is (TypeScript cannot correlate the union by itself). */
export function priceWithModel(model: PriceModel, line: LineInput, at: BasisPosition, charge: string): ModelPrice {
  const pricer = getPricer(model.model) as PricerDefinition<ModelKind>;
  return pricer.price(model as never, line, at, charge);
}
