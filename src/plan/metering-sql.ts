/**
 * SQL of metering: for one charge, the mediated events of its meter become lines per account, period,
 * price version and dimension values, with the meter's aggregate as exact text. Per-event parts of pricing
 * (time-of-day band, version in force, percentage charge) are computed here, before aggregation.
 */
import { emitSql } from '../expr/index.js';
import type { ChargeIR, MeterIR, RulesetIR } from '../ruleset/ir.js';
import { INTERNAL, LIVE } from '../stages/stage.js';
import { duckdbPlanDialect } from './duckdb-plan-dialect.js';
import { EngineCapabilityError, type PlanDialect } from './sql-dialect.js';

export const EVENTS_TABLE = '__events';

const SECONDS: Record<MeterIR['timeUnit'], number> = { second: 1, minute: 60, hour: 3600, day: 86400 };

/** Column names of a line row, in order. */
export interface LineColumns {
  dims: string[];
}

/** Events of one charge with their line keys: account, period, version, dimensions, value, time. */
export function chargeEventsSql(ruleset: RulesetIR, meter: MeterIR, charge: ChargeIR, plan: PlanDialect = duckdbPlanDialect): string {
  const ident = plan.ident;
  const emit = (e: NonNullable<MeterIR['value']>) => emitSql(e, plan.expr, ident);
  const t = ident(ruleset.input.eventTime);
  const version = versionSql(charge, t, ident(ruleset.accountField), plan);
  const dims = meter.dimensions.map((d, i) => `${plan.asText(ident(d))} AS __d${i}`);
  if (charge.timeOfDay) {
    const tod = charge.timeOfDay;
    dims.push(`${plan.timeBand(t, tod.timezone, tod.bands, tod.defaultBand)} AS __d${meter.dimensions.length}`);
  }
  const where = [LIVE, ...(meter.filter ? [`coalesce(${emit(meter.filter)}, false)`] : [])].join(' AND ');
  // Events carry only the local start of their period; UTC bounds and labels are computed per line.
  return `SELECT ${plan.asText(ident(ruleset.accountField))} AS __account, ${plan.localPeriodStart(t, meter.period, ruleset.timezone)} AS __local_start,
    ${version} AS __version${dims.map((d) => `, ${d}`).join('')},
    ${meter.value ? emit(meter.value) : 'NULL'} AS __value, ${t} AS __time, ${INTERNAL.file}, ${INTERNAL.line}, ${INTERNAL.split}
    ${charge.percentage ? `, ${emit(charge.percentage.amount)} AS __amount` : ''}
  FROM ${EVENTS_TABLE} WHERE ${where}`;
}

/**
 * Lines of one charge: `__account, __period_start, __period_end, __period, __version, __d0.., __quantity, __aux[, __event_amount], __at, __line_id`
 * (`__at`: the last event's time, when the line was incurred).
 * `__aux` carries the divisor of averages (count) and of time-weighted sums (seconds per unit), so the one
 * division happens in JavaScript, exactly, at the meter's scale.
 */
export function chargeLinesSql(ruleset: RulesetIR, meter: MeterIR, charge: ChargeIR, plan: PlanDialect = duckdbPlanDialect): string {
  const events = chargeEventsSql(ruleset, meter, charge, plan);
  const dimCount = charge.dimensions.length;
  const keys = ['__account', '__local_start', '__version', ...Array.from({ length: dimCount }, (_, i) => `__d${i}`)];
  const period = plan.periodBounds('__local_start', meter.period, ruleset.timezone);
  const order = `__time, ${INTERNAL.file}, ${INTERNAL.line}, ${INTERNAL.split}`;
  let source = `(${events})`;
  let quantity: string;
  let aux = 'NULL';
  switch (meter.aggregation) {
    case 'sum':
      quantity = 'sum(__value)';
      break;
    case 'count':
      quantity = 'count(*)';
      break;
    case 'count_distinct':
      quantity = 'count(DISTINCT __value)';
      break;
    case 'max':
      quantity = 'max(__value)';
      break;
    case 'min':
      quantity = 'min(__value)';
      break;
    case 'latest':
      if (plan.capabilities.orderedAggregates) {
        quantity = `last(__value ORDER BY ${order})`;
      } else {
        // The same value through a window: the last reading of the line's group, in event order.
        source = `(SELECT *, last_value(__value) OVER (PARTITION BY ${keys.join(', ')} ORDER BY ${order} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS __latest FROM ${source})`;
        quantity = 'any_value(__latest)';
      }
      break;
    case 'avg':
      quantity = 'sum(__value)';
      aux = 'count(__value)';
      break;
    case 'time_weighted_sum': {
      // Each reading holds until the next reading of the same series in the period, the last until the period end.
      const series = ['__account', '__local_start', '__version', ...Array.from({ length: dimCount }, (_, i) => `__d${i}`)].join(', ');
      source = `(SELECT *, ${plan.secondsBetween('__time', `coalesce(lead(__time) OVER (PARTITION BY ${series} ORDER BY ${order}), ${period.end})`)} AS __seconds FROM ${source})`;
      quantity = 'sum(__value * __seconds)';
      aux = String(SECONDS[meter.timeUnit]);
      break;
    }
  }
  let eventAmount = '';
  if (charge.percentage) {
    if (!plan.capabilities.percentageCharges) {
      throw new EngineCapabilityError(plan.name, `the percentage charge ${charge.name}`, 'its per-event amounts need products with more decimals than the engine keeps exactly');
    }
    source = `(${percentageSql(charge, source, order, plan)})`;
    eventAmount = ', CAST(sum(__event_amount) AS VARCHAR) AS __event_amount';
  }
  const dimKeys = keys.slice(3);
  // The line id depends only on what identifies the line, so a re-run gives the same ids (computed here, vectorized).
  const idParts = [plan.literal(ruleset.name), '__account', plan.boundText(period.start), plan.literal(charge.name), 'CAST(__version AS VARCHAR)', ...dimKeys.map((d) => `coalesce(${d}, ${plan.nullChar})`)];
  // Every column is text (see Database.textRows); rows come ordered by chargeLinesOrder.
  return `SELECT __account, ${plan.boundText(period.start)} AS __period_start, ${plan.boundText(period.end)} AS __period_end, ${period.label} AS __period,
    CAST(__version AS VARCHAR) AS __version${dimKeys.map((d) => `, ${d}`).join('')}, __quantity, __aux${eventAmount ? ', __event_amount' : ''},
    ${plan.eventTimeText('__at')} AS __at, ${plan.lineId(idParts)} AS __line_id
  FROM (SELECT ${keys.join(', ')}, CAST(${quantity} AS VARCHAR) AS __quantity, CAST(${aux} AS VARCHAR) AS __aux${eventAmount}, max(__time) AS __at
    FROM ${source} AS __e
    GROUP BY ${keys.join(', ')})`;
}

/** Order of a charge's lines: by account, period, version, then dimension values (the pricing contract). */
export function chargeLinesOrder(charge: ChargeIR): string {
  return ['__account', '__period_start', 'CAST(__version AS INTEGER)', ...charge.dimensions.map((_, i) => `__d${i} NULLS FIRST`)].join(', ');
}

/**
 * Per-event charge of the percentage model, the same semantics as `percentageEventCharges` in src/pricing:
 * the first `freeUnits` events of the group are free; then `freeAmount` of cumulative amount is free (the event
 * crossing it pays on its part above); a charged event pays clamp(chargeable × rate + fixedFee, min, max).
 */
function percentageSql(charge: ChargeIR, source: string, order: string, plan: PlanDialect): string {
  const version0 = charge.pricing.versions[0]!.model;
  if (version0.model !== 'percentage') throw new Error('percentage SQL for a non-percentage charge');
  const rules = version0;
  const d = (x: { toFixed(): string }) => `CAST(${plan.literal(x.toFixed())} AS DECIMAL(38, 12))`;
  const group = `__account, __local_start, __version, ${charge.dimensions.map((_, i) => `__d${i}`).join(', ') || '1'}`;
  const amount = 'CAST(__amount AS DECIMAL(38, 12))';
  const ranked = `SELECT *,
      sum(CASE WHEN __n0 > ${rules.freeUnits} THEN ${amount} ELSE 0 END) OVER (PARTITION BY ${group} ORDER BY ${order} ${plan.runningFrame}) AS __cum
    FROM (SELECT *, row_number() OVER (PARTITION BY ${group} ORDER BY ${order}) AS __n0 FROM ${source})`;
  const chargeable = `CASE WHEN __n0 <= ${rules.freeUnits} THEN 0 ELSE greatest(0, least(${amount}, __cum - ${d(rules.freeAmount)})) END`;
  let perEvent = `(${chargeable}) * ${d(rules.rate)} + ${d(rules.fixedFee)}`;
  if (rules.minPerEvent) perEvent = `greatest(${perEvent}, ${d(rules.minPerEvent)})`;
  if (rules.maxPerEvent) perEvent = `least(${perEvent}, ${d(rules.maxPerEvent)})`;
  return `SELECT *, CASE WHEN (${chargeable}) > 0 THEN ${perEvent} ELSE 0 END AS __event_amount FROM (${ranked})`;
}

/**
 * Index of the price version in force at event time `t` for `account`: the account's contract terms from their
 * first effective instant on, the rate card's versions otherwise.
 */
export function versionSql(charge: ChargeIR, t: string, account: string, plan: PlanDialect = duckdbPlanDialect): string {
  const rateCard = charge.versionStarts.length
    ? `CASE ${charge.versionStarts.map((s, i) => ({ s, i: i + 1 })).reverse().map(({ s, i }) => `WHEN ${t} >= ${plan.timestampLiteral(s)} THEN ${i}`).join(' ')} ELSE 0 END`
    : '0';
  if (!charge.accountVersions.length) return rateCard;
  const contracts = charge.accountVersions.slice().reverse()
    .map((v) => `WHEN ${plan.asText(account)} = ${plan.literal(v.account)} AND ${t} >= ${plan.timestampLiteral(v.from)} THEN ${v.version}`);
  return `CASE ${contracts.join(' ')} ELSE ${rateCard} END`;
}

/** Events of a charge whose dimension values the price matrix of their version does not list (when it has no default). */
export function matrixGuardCondition(ruleset: RulesetIR, meter: MeterIR, charge: ChargeIR, plan: PlanDialect = duckdbPlanDialect): string | null {
  const g = charge.matrixGuard;
  if (!g) return null;
  const ident = plan.ident;
  const emit = (e: NonNullable<MeterIR['filter']>) => emitSql(e, plan.expr, ident);
  const unknownIn = (v: { dimensions: string[]; combinations: string[][] } | null) =>
    v ? plan.notAmong(v.dimensions.map((d) => plan.asText(ident(d))), v.combinations) : 'false';
  const unknown = g.byVersion.length === 1
    ? unknownIn(g.byVersion[0]!)
    : `(CASE ${versionSql(charge, ident(ruleset.input.eventTime), ident(ruleset.accountField), plan)} ${g.byVersion.map((v, i) => `WHEN ${i} THEN ${unknownIn(v)}`).join(' ')} END)`;
  return meter.filter ? `coalesce(${emit(meter.filter)}, false) AND ${unknown}` : unknown;
}
