/**
 * matrix: the unit price is looked up by the line's values of the matrix dimensions; billable × price.
 *
 * A combination with no entry takes `defaultPrice`. When there is no default, SQL rejects such events
 * before aggregation (see ChargeIR.matrixGuard), so a line that still has one is a bug: it throws.
 * A null dimension value matches no entry.
 *
 * Example: dimensions [region, tier], entries { us, gold } @ 0.010, { eu, gold } @ 0.012, default 0.015
 *   → 100 units { region: eu, tier: gold } = 1.20 ("matrix region=eu tier=gold");
 *     100 units { region: ap, tier: gold } = 1.50 ("matrix default").
 */
import type { Decimal } from '../decimal.js';
import type { ModelPrice, ModelProblem, PricerDefinition } from '../definition.js';
import { PricingInternalError } from '../errors.js';
import type { MatrixModel } from '../types.js';

/** Entries by combination key, built once per model object (rate cards are immutable once compiled). */
const priceIndexes = new WeakMap<MatrixModel, Map<string, Decimal>>();

function combinationKey(dimensions: readonly string[], values: Record<string, string | null | undefined>): string | null {
  const parts = dimensions.map((d) => values[d]);
  return parts.some((v) => v === null || v === undefined) ? null : JSON.stringify(parts);
}

function priceIndex(model: MatrixModel): Map<string, Decimal> {
  let index = priceIndexes.get(model);
  if (!index) {
    index = new Map();
    for (const entry of model.entries) {
      const key = combinationKey(model.dimensions, entry.values);
      if (key !== null && !index.has(key)) index.set(key, entry.unitPrice);
    }
    priceIndexes.set(model, index);
  }
  return index;
}

export const matrixPricer: PricerDefinition<'matrix'> = {
  model: 'matrix',
  doc: 'A unit price per combination of dimension values, or the default price.',
  check(model) {
    const problems: ModelProblem[] = [];
    if (model.dimensions.length === 0) problems.push({ path: 'dimensions', code: 'matrix_dimensions', message: 'needs at least one dimension' });
    const seen = new Set<string>();
    model.entries.forEach((entry, i) => {
      const path = `entries[${i}].values`;
      const extra = Object.keys(entry.values).filter((d) => !model.dimensions.includes(d));
      const key = combinationKey(model.dimensions, entry.values);
      if (key === null || extra.length > 0) {
        problems.push({ path, code: 'matrix_entry_values', message: `needs exactly one value for each of ${model.dimensions.join(', ')}` });
      } else if (seen.has(key)) {
        problems.push({ path, code: 'matrix_entry_duplicate', message: 'repeats an earlier combination' });
      }
      if (key !== null) seen.add(key);
    });
    return problems;
  },
  price(model, line, at, charge): ModelPrice {
    const { unitPrice, tierRef } = cellOf(model, line.dims, charge);
    return { exact: at.billable.times(unitPrice), unitPrice, tierRef, breakdown: [] };
  },
};

/**
 * A line's unit price and tier reference. The run hands every line of one combination the same frozen dimension
 * object, so the lookup is remembered per object: a run prices hundreds of thousands of lines with a few cells.
 */
const cellsSeen = new WeakMap<MatrixModel, WeakMap<object, Cell>>();
interface Cell { unitPrice: Decimal; tierRef: string }

function cellOf(model: MatrixModel, dims: Record<string, string | null | undefined>, charge: string): Cell {
  let seen = cellsSeen.get(model);
  if (!seen) cellsSeen.set(model, (seen = new WeakMap()));
  const remembered = seen.get(dims);
  if (remembered) return remembered;
  const key = combinationKey(model.dimensions, dims);
  const entryPrice = key === null ? undefined : priceIndex(model).get(key);
  const unitPrice = entryPrice ?? model.defaultPrice;
  if (unitPrice === null) {
    const values = model.dimensions.map((d) => `${d}=${dims[d] ?? 'null'}`).join(' ');
    throw new PricingInternalError(charge, `matrix has no price for ${values} and no default (SQL should have rejected these events)`);
  }
  const cell = { unitPrice, tierRef: entryPrice === undefined ? 'matrix default' : `matrix ${model.dimensions.map((d) => `${d}=${dims[d]}`).join(' ')}` };
  if (Object.isFrozen(dims)) seen.set(dims, cell); // a mutable object could change after this line
  return cell;
}
