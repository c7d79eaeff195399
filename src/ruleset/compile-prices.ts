/**
 * prices: rate cards applied to meters, compiled into the pure pricing spec (src/pricing) plus the parts
 * that SQL evaluates per event (time-of-day bands, matrix guards, percentage amounts, version boundaries).
 */
import { dec, type Decimal } from '../pricing/decimal.js';
import { scaleModel } from '../pricing/scale.js';
import type { Modifier, PriceModel, PriceTier, PackageTier, PriceVersion } from '../pricing/types.js';
import type { CompileContext } from './context.js';
import type { ChargeIR, FieldType, MeterIR, TimeBand, TimeBandRule } from './ir.js';
import { minorUnitsOf } from './currencies.js';
import { MODELS } from './schema.js';

type Raw = Record<string, unknown>;
type Model = (typeof MODELS)[number];

interface BillingDefaults {
  currency: string;
  minorUnits: number;
  rounding: 'half_even' | 'half_up';
  timezone: string;
}

/** Which model parameters each model takes; anything else given is an error (it would be silently ignored). */
const PARAMS: Record<Model, readonly string[]> = {
  flat: ['amount'],
  unit: ['unit_price'],
  graduated: ['tiers'],
  volume: ['tiers'],
  package: ['package_size', 'package_price'],
  tiered_package: ['package_size', 'tiers'],
  percentage: ['percentage'],
  matrix: ['matrix'],
  time_of_day: ['time_of_day'],
};
const ALL_PARAMS = [...new Set(Object.values(PARAMS).flat())];

export function compilePrices(items: Raw[], cx: CompileContext, scope: ReadonlyMap<string, FieldType>, meters: MeterIR[], billing: BillingDefaults, contracts: Raw[] = []): ChargeIR[] {
  const charges: ChargeIR[] = [];
  const names = new Set<string>();
  // Top-level contracts join their charge's own list (after it), keeping their objects for diagnostics.
  const known = new Set(items.filter(Boolean).map((p) => p.charge as string));
  contracts.forEach((c, i) => {
    if (c && !known.has(c.charge as string)) cx.error(c, 'charge', `contracts[${i}]`, 'unknown_charge', `no price is named "${c.charge as string}" (prices: ${[...known].join(', ')})`);
  });
  for (const p of items) {
    const extra = contracts.filter((c) => c && p && c.charge === p.charge);
    if (extra.length) p.contracts = [...((p.contracts as Raw[] | undefined) ?? []), ...extra];
  }
  items.forEach((p, i) => {
    if (!p) return;
    const path = `prices[${i}]`;
    const c = compileCharge(p, path, cx, scope, meters, billing);
    if (c && names.has(c.name)) cx.error(p, 'charge', path, 'duplicate_charge', `another price is already named "${c.name}"`);
    if (c) {
      names.add(c.name);
      charges.push(c);
    }
  });
  return charges;
}

function compileCharge(p: Raw, path: string, cx: CompileContext, scope: ReadonlyMap<string, FieldType>, meters: MeterIR[], billing: BillingDefaults): ChargeIR | undefined {
  const model = p.model as Model | undefined;
  const meterName = p.meter as string | undefined;
  const meter = meters.find((m) => m.name === meterName);
  if (meterName !== undefined && !meter) {
    cx.error(p, 'meter', path, 'unknown_meter', `unknown meter "${meterName}" (meters: ${meters.map((m) => m.name).join(', ') || 'none'})`);
  }
  if (!model || !meter) return undefined;
  const errorsBefore = cx.r.diagnostics.length;

  const base = readModel(model, p, path, cx, meter, billing, scope);
  const versions: PriceVersion[] = base ? [{ effectiveFrom: null, model: base.model }] : [];
  const guards: VersionGuard[] = base ? [base.matrixGuard] : [];
  const versionStarts: string[] = [];
  ((p.versions as Raw[] | undefined) ?? []).forEach((v, j) => {
    if (!v) return;
    const vpath = `${path}.versions[${j}]`;
    const start = parseInstant(v.effective_from as string);
    if (!start) return cx.error(v, 'effective_from', vpath, 'instant', `"${v.effective_from as string}" is not a date (YYYY-MM-DD) or a UTC instant (YYYY-MM-DDTHH:MM:SSZ)`);
    if (versionStarts.length && start <= versionStarts[versionStarts.length - 1]!) {
      return cx.error(v, 'effective_from', vpath, 'versions_order', `versions must be in increasing effective_from order (${start} after ${versionStarts[versionStarts.length - 1]})`);
    }
    const merged = { ...p, ...Object.fromEntries(ALL_PARAMS.filter((k) => v[k] !== undefined).map((k) => [k, v[k]])) };
    const m = readModel(model, merged, vpath, cx, meter, billing, scope, v);
    if (m && !sameSchedule(base, m)) return cx.error(v, 'time_of_day', vpath, 'time_of_day_schedule', 'a version can change the bands\' prices, not the schedule (band names, days and hours)');
    if (m) {
      versionStarts.push(start);
      versions.push({ effectiveFrom: start, model: m.model });
      guards.push(m.matrixGuard);
    }
  });

  // Contract terms: the base terms with the contract's overrides, scaled by its discount or uplift; each is a
  // version of its own that SQL gives the account's events from its effective instant on.
  const accountVersions: ChargeIR['accountVersions'] = [];
  ((p.contracts as Raw[] | undefined) ?? []).forEach((c, j) => {
    if (!c) return;
    const cpath = `${path}.contracts[${j}]`;
    const start = parseInstant(c.effective_from as string);
    if (!start) return cx.error(c, 'effective_from', cpath, 'instant', `"${c.effective_from as string}" is not a date (YYYY-MM-DD) or a UTC instant (YYYY-MM-DDTHH:MM:SSZ)`);
    if (model === 'percentage') return cx.error(c, '', cpath, 'contract_model', 'contract terms on a percentage charge are not supported (its per-event rules are priced in SQL)');
    const account = c.account as string;
    const previous = accountVersions.filter((v) => v.account === account).at(-1);
    if (previous && start <= previous.from) {
      return cx.error(c, 'effective_from', cpath, 'contracts_order', `an account's contract terms must be in increasing effective_from order (${start} after ${previous.from})`);
    }
    if (c.discount !== undefined && c.uplift !== undefined) return cx.error(c, 'uplift', cpath, 'contract_factor', 'give a discount or an uplift, not both');
    const merged = { ...p, ...Object.fromEntries(ALL_PARAMS.filter((k) => c[k] !== undefined).map((k) => [k, c[k]])) };
    const m = readModel(model, merged, cpath, cx, meter, billing, scope, c);
    if (!m) return;
    if (!sameSchedule(base, m)) return cx.error(c, 'time_of_day', cpath, 'time_of_day_schedule', 'contract terms can change the bands\' prices, not the schedule (band names, days and hours)');
    const factor = c.discount !== undefined ? dec(1).minus(dec(c.discount as string)) : c.uplift !== undefined ? dec(1).plus(dec(c.uplift as string)) : null;
    accountVersions.push({ account, from: start, version: versions.length });
    versions.push({ effectiveFrom: start, model: factor ? scaleModel(m.model, factor) : m.model });
    guards.push(m.matrixGuard);
  });
  accountVersions.sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : a.from < b.from ? -1 : 1));

  const tierBasis = (p.tier_basis as 'group' | 'version' | 'line' | undefined) ?? 'group';
  const additive = meter.aggregation === 'sum' || meter.aggregation === 'count' || meter.aggregation === 'time_weighted_sum';
  if (tierBasis !== 'line' && !additive && meter.dimensions.length > 0 && ['graduated', 'volume', 'package', 'tiered_package'].includes(model)) {
    cx.error(p, 'tier_basis', path, 'tier_basis', `tiers over a group total need an additive meter (sum, count, time_weighted_sum); "${meter.name}" is ${meter.aggregation} with dimensions, so set tier_basis: line`);
  }
  const modifiers = readModifiers((p.modifiers as Raw[] | undefined) ?? [], `${path}.modifiers`, cx, meter, base?.extraDimension ?? null);
  const minimum = opt(p.minimum);
  const maximum = opt(p.maximum);
  if (minimum && maximum && minimum.gt(maximum)) cx.error(p, 'maximum', path, 'min_max', `maximum ${p.maximum as string} is below minimum ${p.minimum as string}`);

  if (!base || cx.r.diagnostics.length > errorsBefore) return undefined;
  const currency = (p.currency as string | undefined) ?? billing.currency;
  return {
    name: p.charge as string,
    meter: meter.name,
    dimensions: [...meter.dimensions, ...(base.extraDimension ? [base.extraDimension] : [])],
    pricing: {
      name: p.charge as string,
      currency,
      minorUnits: currency === billing.currency ? billing.minorUnits : minorUnitsOf(currency),
      rounding: billing.rounding,
      tierBasis,
      included: opt(p.included) ?? dec(0),
      versions,
      modifiers,
      minimum,
      maximum,
    },
    versionStarts,
    accountVersions,
    timeOfDay: base.timeOfDay,
    matrixGuard: guards.some(Boolean)
      ? { byVersion: guards.map((g) => (g ? { dimensions: g.dimensions, combinations: g.combinations } : null)), reason: guards.find(Boolean)!.reason }
      : null,
    percentage: base.percentage,
  };
}

/** Time-of-day bands are assigned in SQL from the base schedule: later terms may only change their prices. */
function sameSchedule(base: ReadModel | undefined, other: ReadModel): boolean {
  return JSON.stringify(base?.timeOfDay ?? null) === JSON.stringify(other.timeOfDay ?? null);
}

type VersionGuard = { dimensions: string[]; combinations: string[][]; reason: string } | null;

interface ReadModel {
  model: PriceModel;
  extraDimension: string | null;
  timeOfDay: ChargeIR['timeOfDay'];
  matrixGuard: VersionGuard;
  percentage: ChargeIR['percentage'];
}

function readModel(model: Model, p: Raw, path: string, cx: CompileContext, meter: MeterIR, billing: BillingDefaults, scope: ReadonlyMap<string, FieldType>, at: Raw = p): ReadModel | undefined {
  for (const k of ALL_PARAMS) {
    if (p[k] !== undefined && !PARAMS[model].includes(k) && at[k] !== undefined) {
      cx.error(at, k, path, 'param_unused', `\`${k}\` does not apply to the ${model} model (it takes ${PARAMS[model].join(', ')})`);
    }
  }
  for (const k of PARAMS[model]) {
    if (p[k] === undefined) {
      cx.error(at, '', path, 'param_missing', `the ${model} model needs \`${k}\``);
      return undefined;
    }
  }
  const none = { extraDimension: null, timeOfDay: null, matrixGuard: null, percentage: null };
  switch (model) {
    case 'flat':
      return { ...none, model: { model, amount: dec(p.amount as string) } };
    case 'unit':
      return { ...none, model: { model, unitPrice: dec(p.unit_price as string) } };
    case 'graduated':
    case 'volume': {
      const tiers = readTiers(p.tiers as Raw[], path, cx, 'unit_price');
      return tiers && { ...none, model: { model, tiers: tiers as PriceTier[] } };
    }
    case 'package':
      return { ...none, model: { model, packageSize: dec(p.package_size as string), packagePrice: dec(p.package_price as string) } };
    case 'tiered_package': {
      const tiers = readTiers(p.tiers as Raw[], path, cx, 'package_price');
      return tiers && { ...none, model: { model, packageSize: dec(p.package_size as string), tiers: tiers as PackageTier[] } };
    }
    case 'matrix':
      return readMatrix(p.matrix as Raw, `${path}.matrix`, cx, meter);
    case 'time_of_day':
      return readTimeOfDay(p.time_of_day as Raw, `${path}.time_of_day`, cx, meter, billing);
    case 'percentage': {
      const q = p.percentage as Raw;
      const amount = cx.expr(q, 'amount', `${path}.percentage`, scope);
      if (!amount) return undefined;
      if (amount.type.kind !== 'decimal' && amount.type.kind !== 'integer') {
        cx.error(q, 'amount', `${path}.percentage`, 'amount_type', `the amount must be a number (it is ${amount.type.kind})`);
        return undefined;
      }
      return {
        ...none,
        percentage: { amount },
        model: {
          model,
          rate: dec(q.rate as string),
          fixedFee: opt(q.fixed_fee) ?? dec(0),
          freeUnits: (q.free_units as number | undefined) ?? 0,
          freeAmount: opt(q.free_amount) ?? dec(0),
          minPerEvent: opt(q.min_per_event),
          maxPerEvent: opt(q.max_per_event),
        },
      };
    }
  }
}

function readTiers(tiers: Raw[], path: string, cx: CompileContext, priceKey: 'unit_price' | 'package_price'): (PriceTier | PackageTier)[] | undefined {
  const out: (PriceTier | PackageTier)[] = [];
  let prev: Decimal | null = null;
  let ok = true;
  tiers.forEach((t, k) => {
    if (!t) return (ok = false);
    const tpath = `${path}.tiers[${k}]`;
    const last = k === tiers.length - 1;
    const upTo = opt(t.up_to);
    if (!last && !upTo) {
      cx.error(t, '', tpath, 'tier_open', 'only the last tier may leave out `up_to`');
      ok = false;
    }
    if (last && upTo) {
      cx.error(t, 'up_to', tpath, 'tier_closed', 'the last tier must leave out `up_to` (it covers everything above the previous tier)');
      ok = false;
    }
    if (upTo && prev && upTo.lte(prev)) {
      cx.error(t, 'up_to', tpath, 'tier_order', `tiers must increase (${t.up_to as string} after ${prev.toString()})`);
      ok = false;
    }
    if (t[priceKey] === undefined) {
      cx.error(t, '', tpath, 'tier_price', `each tier needs \`${priceKey}\``);
      ok = false;
    }
    const other = priceKey === 'unit_price' ? 'package_price' : 'unit_price';
    if (t[other] !== undefined) cx.error(t, other, tpath, 'param_unused', `\`${other}\` does not apply here; use \`${priceKey}\``);
    if (priceKey === 'package_price' && t.flat_fee !== undefined) cx.error(t, 'flat_fee', tpath, 'param_unused', '`flat_fee` does not apply to tiered_package tiers');
    if (upTo) prev = upTo;
    out.push(priceKey === 'unit_price'
      ? { upTo, unitPrice: dec((t.unit_price as string | undefined) ?? '0'), ...(t.flat_fee !== undefined ? { flatFee: dec(t.flat_fee as string) } : {}) }
      : { upTo, packagePrice: dec((t.package_price as string | undefined) ?? '0') });
  });
  return ok ? out : undefined;
}

function readMatrix(m: Raw, path: string, cx: CompileContext, meter: MeterIR): ReadModel | undefined {
  const dims = m.dimensions as string[];
  let ok = true;
  for (const d of dims) {
    if (!meter.dimensions.includes(d)) {
      cx.error(m, 'dimensions', path, 'matrix_dimension', `"${d}" is not a dimension of meter "${meter.name}" (${meter.dimensions.join(', ') || 'none'})`);
      ok = false;
    }
  }
  const seen = new Set<string>();
  const entries = (m.prices as Raw[]).map((e, k) => {
    const when = (e?.when as Record<string, string> | undefined) ?? {};
    const keys = Object.keys(when);
    if (keys.length !== dims.length || dims.some((d) => when[d] === undefined)) {
      cx.error(e ?? m, 'when', `${path}.prices[${k}]`, 'matrix_when', `\`when\` must give a value for each matrix dimension (${dims.join(', ')})`);
      ok = false;
    }
    const sig = JSON.stringify(dims.map((d) => when[d]));
    if (seen.has(sig)) {
      cx.error(e ?? m, 'when', `${path}.prices[${k}]`, 'matrix_repeat', 'this combination is already priced');
      ok = false;
    }
    seen.add(sig);
    return { values: when, unitPrice: dec((e?.unit_price as string | undefined) ?? '0') };
  });
  if (!ok) return undefined;
  const defaultPrice = opt(m.default_price);
  return {
    model: { model: 'matrix', dimensions: dims, entries, defaultPrice },
    extraDimension: null,
    timeOfDay: null,
    percentage: null,
    matrixGuard: defaultPrice
      ? null
      : { dimensions: dims, combinations: entries.map((e) => dims.map((d) => e.values[d]!)), reason: (m.reject_reason as string | undefined) ?? 'unknown_price_dimension' },
  };
}

const DAY_NAMES: Record<string, number[]> = { mon: [1], tue: [2], wed: [3], thu: [4], fri: [5], sat: [6], sun: [7], weekdays: [1, 2, 3, 4, 5], weekend: [6, 7], all: [1, 2, 3, 4, 5, 6, 7] };

function readTimeOfDay(t: Raw, path: string, cx: CompileContext, meter: MeterIR, billing: BillingDefaults): ReadModel | undefined {
  const dimension = (t.dimension as string | undefined) ?? 'time_band';
  if (meter.dimensions.includes(dimension)) cx.error(t, 'dimension', path, 'band_dimension', `"${dimension}" is already a dimension of meter "${meter.name}"; name the band dimension otherwise`);
  const bands: TimeBand[] = [];
  const defaults: string[] = [];
  let ok = true;
  (t.bands as Raw[]).forEach((b, k) => {
    if (!b) return (ok = false);
    const bpath = `${path}.bands[${k}]`;
    const when = b.when as Raw[] | undefined;
    if (!when || when.length === 0) {
      defaults.push(b.name as string);
      return;
    }
    const rules: TimeBandRule[] = [];
    when.forEach((w, j) => {
      const days: number[] = [];
      for (const d of (w.days as string[]) ?? []) {
        const v = DAY_NAMES[d.toLowerCase()];
        if (!v) {
          cx.error(w, 'days', `${bpath}.when[${j}]`, 'day_name', `"${d}" is not a day (mon … sun, weekdays, weekend, all)`);
          ok = false;
        } else days.push(...v);
      }
      const from = minutes((w.from as string | undefined) ?? '00:00');
      const to = minutes((w.to as string | undefined) ?? '24:00');
      if (from === undefined || to === undefined || from === to) {
        cx.error(w, '', `${bpath}.when[${j}]`, 'band_time', 'from and to must be different times HH:MM between 00:00 and 24:00');
        ok = false;
        return;
      }
      if (from < to) rules.push({ days, fromMinute: from, toMinute: to });
      else {
        // Wraps past midnight: 20:00–08:00 is [20:00, 24:00) on the day plus [00:00, 08:00) on the next day.
        rules.push({ days, fromMinute: from, toMinute: 1440 });
        rules.push({ days: days.map((d) => (d % 7) + 1), fromMinute: 0, toMinute: to });
      }
    });
    bands.push({ name: b.name as string, rules });
  });
  if (defaults.length !== 1) {
    cx.error(t, 'bands', path, 'band_default', `exactly one band must have no \`when\` (the default band); found ${defaults.length}`);
    ok = false;
  }
  const timezone = (t.timezone as string | undefined) ?? billing.timezone;
  if (!ok) return undefined;
  const prices = (t.bands as Raw[]).map((b) => ({ name: b.name as string, unitPrice: dec(b.unit_price as string) }));
  return {
    model: { model: 'time_of_day', dimension, bands: prices },
    extraDimension: dimension,
    timeOfDay: { dimension, timezone, bands, defaultBand: defaults[0]! },
    matrixGuard: null,
    percentage: null,
  };
}

function readModifiers(items: Raw[], path: string, cx: CompileContext, meter: MeterIR, extraDimension: string | null): Modifier[] {
  return items.flatMap((m, k) => {
    if (!m) return [];
    const mpath = `${path}[${k}]`;
    const byDim = m.dimension !== undefined;
    if (byDim === (m.account !== undefined)) {
      cx.error(m, '', mpath, 'modifier_key', 'a modifier is keyed on exactly one of `dimension` (with `factors`) or `account`');
      return [];
    }
    const dims = [...meter.dimensions, ...(extraDimension ? [extraDimension] : [])];
    if (byDim && !dims.includes(m.dimension as string)) {
      cx.error(m, 'dimension', mpath, 'modifier_dimension', `"${m.dimension as string}" is not a line dimension (${dims.join(', ') || 'none'})`);
      return [];
    }
    if (byDim && m.factors === undefined) {
      cx.error(m, '', mpath, 'modifier_factors', 'a dimension modifier needs `factors`');
      return [];
    }
    const table = (byDim ? m.factors : m.account) as Record<string, string>;
    return [{
      label: (m.name as string | undefined) ?? (byDim ? `${m.dimension as string}_factor` : 'account_factor'),
      key: byDim ? { dimension: m.dimension as string } : { account: true as const },
      factors: Object.fromEntries(Object.entries(table).map(([key, v]) => [key, dec(v)])),
      defaultFactor: opt(m.default) ?? dec(1),
    }];
  });
}

function opt(v: unknown): Decimal | null {
  return v === undefined || v === null ? null : dec(v as string);
}

function minutes(hhmm: string): number | undefined {
  const m = /^(\d\d):(\d\d)$/.exec(hhmm);
  if (!m) return undefined;
  const v = Number(m[1]) * 60 + Number(m[2]);
  return Number(m[2]) < 60 && v <= 1440 ? v : undefined;
}

/** `2026-11-01` or `2026-11-01T10:00:00Z` → `2026-11-01 10:00:00` (UTC), or undefined. */
export function parseInstant(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d))?Z?)?$/.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h = '00', mi = '00', s = '00'] = m.slice(1) as string[];
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const back = new Date(t).toISOString().slice(0, 19).replace('T', ' ');
  const want = `${y}-${mo}-${d} ${h}:${mi}:${s}`;
  return back === want ? want : undefined;
}
