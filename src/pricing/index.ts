/** Public surface of pricing: pure functions over decimals, no I/O, nothing registered on import. */
export { Decimal, ZERO, ONE, compare, dec, fixedText } from './decimal.js';
export type * from './types.js';
export type { BasisPosition, ModelPrice, ModelProblem, PricerDefinition } from './definition.js';
export { PricingInternalError } from './errors.js';
export { priceGroup } from './price-group.js';
export { getPricer, MODEL_KINDS } from './registry.js';
export { checkCharge, checkModel } from './check.js';
export { roundMoney } from './rounding.js';
export { scaleModel } from './scale.js';
export { allocateCumulative } from './allocate.js';
export { percentageEventCharges } from './models/percentage.js';
