/**
 * time_of_day: SQL assigns each event a band from its local time (the ruleset's bands, first match wins,
 * then the default band) and puts the band name in `dims[dimension]`; the line's billable units are
 * priced at that band's unit price. An unknown or missing band name is a bug upstream: it throws.
 *
 * Example: bands peak @ 0.20, off_peak @ 0.08; lines { time_band: peak } 30 and { time_band: off_peak } 70
 *   → 6.00 ("band peak") and 5.60 ("band off_peak").
 */
import type { ModelPrice, ModelProblem, PricerDefinition } from '../definition.js';
import { PricingInternalError } from '../errors.js';

export const timeOfDayPricer: PricerDefinition<'time_of_day'> = {
  model: 'time_of_day',
  doc: 'A unit price per time band; SQL puts each event in a band.',
  check(model) {
    const problems: ModelProblem[] = [];
    if (model.bands.length === 0) problems.push({ path: 'bands', code: 'bands_empty', message: 'needs at least one band' });
    model.bands.forEach((band, i) => {
      if (model.bands.findIndex((b) => b.name === band.name) !== i) {
        problems.push({ path: `bands[${i}].name`, code: 'band_duplicate', message: `band "${band.name}" is priced twice` });
      }
    });
    return problems;
  },
  price(model, line, at, charge): ModelPrice {
    const bandName = line.dims[model.dimension];
    const band = model.bands.find((b) => b.name === bandName);
    if (!band) {
      throw new PricingInternalError(charge, `no price for time band ${JSON.stringify(bandName ?? null)} in dimension "${model.dimension}"`);
    }
    return { exact: at.billable.times(band.unitPrice), unitPrice: band.unitPrice, tierRef: `band ${band.name}`, breakdown: [] };
  },
};
