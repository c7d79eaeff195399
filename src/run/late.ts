/**
 * Late usage: a run whose lines belong to groups (account, period, charge) that earlier runs already billed.
 * (Duplicates are found within a run: an event re-delivered in a later run's file is counted again.)
 * Rating the late usage alone would restart the group's tiers and charge its flat fees again, so the group is
 * priced again with everything billed so far plus the late quantities, and each line of the group is billed
 * the difference, as a line flagged `late` for its own period:
 *
 *   late amount = price(billed quantities + late quantities) − what was billed for the line
 *
 * A line whose price moves though no late usage arrived for it (a volume tier reached by the group) gets a
 * late line too, with quantity 0. This needs meters whose quantities combine: sum and count add, max and min
 * keep the larger or smaller; other meters (latest, avg, count_distinct, time-weighted, percentage charges)
 * need the period's whole usage, which is `tally rerate`'s job, so a run refuses them.
 */
import { DataError } from '../cli/errors.js';
import { Decimal, priceGroup, ZERO, type LineInput } from '../pricing/index.js';
import type { ChargeIR, MeterIR, RulesetIR } from '../ruleset/ir.js';
import type { StateStore } from '../state/store.js';
import { loadBilled, type BilledRow as Billed } from '../state/billed.js';
import { compareText, sortLines, type ChargeLine } from './rate.js';

const MERGEABLE = new Set<MeterIR['aggregation']>(['sum', 'count', 'max', 'min']);

/** The run's lines, with the groups that earlier runs billed priced again as late lines. */
export async function mergeLateUsage(store: StateStore, ruleset: RulesetIR, lines: ChargeLine[]): Promise<ChargeLine[]> {
  const periods = [...new Set(lines.map((l) => l.period))];
  if (!periods.length) return lines;
  const billed = new Map((await loadBilled(store, periods, ruleset.name)).map((b) => [b.lineId, b]));
  if (!billed.size) return lines;
  const groupKey = (l: { account: string; period: string; charge: string }) => `${l.account}\u241f${l.period}\u241f${l.charge}`;
  // A group is late when anything of it was billed before, even if this run's lines are all new ones (a new
  // dimension value can move the tier the whole group reaches). Each key is built once: a daily run holds the
  // whole period's billed lines here.
  const billedByGroup = new Map<string, Billed[]>();
  for (const b of billed.values()) {
    const k = groupKey(b);
    const group = billedByGroup.get(k);
    if (group) group.push(b);
    else billedByGroup.set(k, [b]);
  }
  const runByGroup = new Map<string, ChargeLine[]>();
  const out: ChargeLine[] = [];
  for (const l of lines) {
    const k = groupKey(l);
    if (!billedByGroup.has(k)) {
      out.push(l);
      continue;
    }
    const group = runByGroup.get(k);
    if (group) group.push(l);
    else runByGroup.set(k, [l]);
  }
  if (!runByGroup.size) return lines;
  for (const [k, runLines] of runByGroup) {
    const group = billedByGroup.get(k) ?? [];
    const first = runLines[0]!;
    if (group.some((b) => b.lastRuleset !== ruleset.hash)) {
      throw new DataError(`late usage for ${first.account} in ${first.period}, charge ${first.charge}: the period was billed with another version of ruleset ${ruleset.name}; nothing was written`,
        `repricing with a changed ruleset would mix its versions; re-rate the period with all its usage: tally rerate --period ${first.period} FILES...`);
    }
    out.push(...repriceGroup(ruleset, runLines, group));
  }
  return sortLines(out);
}

function repriceGroup(ruleset: RulesetIR, runLines: ChargeLine[], billed: Billed[]): ChargeLine[] {
  const first = runLines[0]!;
  const charge = ruleset.charges.find((c) => c.name === first.charge)!;
  const meter = ruleset.meters.find((m) => m.name === charge.meter)!;
  if (!MERGEABLE.has(meter.aggregation) || charge.percentage) {
    throw new DataError(`late usage for ${first.account} in ${first.period}, charge ${charge.name}: its ${charge.percentage ? 'percentage price' : `${meter.aggregation} meter`} cannot add late usage to what was billed; nothing was written`,
      `re-rate the period with all its usage: tally rerate --period ${first.period} FILES...`);
  }
  // Every line of the group: billed quantity combined with the late one.
  const combined = new Map<string, { line: ChargeLine | null; billed: Billed | null; quantity: Decimal }>();
  if ((meter.aggregation === 'max' || meter.aggregation === 'min') && billed.some((b) => b.adjusted)) {
    throw new DataError(`late usage for ${first.account} in ${first.period}, charge ${charge.name}: the period was re-rated, and its ${meter.aggregation} meter cannot add late usage to that; nothing was written`,
      `re-rate the period with all its usage: tally rerate --period ${first.period} FILES...`);
  }
  const billedQuantity = (b: Billed) => (meter.aggregation === 'max' ? b.quantity.max : meter.aggregation === 'min' ? b.quantity.min : b.quantity.sum);
  for (const b of billed) combined.set(b.lineId, { line: null, billed: b, quantity: billedQuantity(b) });
  for (const l of runLines) {
    const seen = combined.get(l.lineId);
    combined.set(l.lineId, { line: l, billed: seen?.billed ?? null, quantity: seen ? combine(meter, seen.quantity, l.quantity) : l.quantity });
  }
  // The pricing contract: lines of a group in version, then dimension order (nulls first).
  const members = [...combined.values()].sort((a, b) => versionOf(a) - versionOf(b) || compareDims(charge, dimsOf(a), dimsOf(b)));
  const inputs: LineInput[] = members.map((m) => ({ dims: dimsOf(m), version: versionOf(m), quantity: m.quantity }));
  const priced = priceGroup(charge.pricing, inputs, { account: first.account });
  const out: ChargeLine[] = [];
  members.forEach((m, i) => {
    const p = priced[i]!;
    const delta = p.amount.minus(m.billed?.amount ?? ZERO);
    const base = m.line ?? fromBilled(m.billed!, first, charge);
    if (!m.line && delta.isZero()) return; // billed, untouched by late usage, price unchanged
    out.push({
      ...base,
      // A late line's exact amount is the difference of the rounded amounts: what the bill gains.
      priced: { exact: delta, amount: delta, unitPrice: p.unitPrice, tierRef: p.tierRef },
      late: m.billed !== null,
    });
  });
  return out;
}

function combine(meter: MeterIR, a: Decimal, b: Decimal): Decimal {
  if (meter.aggregation === 'max') return Decimal.max(a, b);
  if (meter.aggregation === 'min') return Decimal.min(a, b);
  return a.plus(b);
}

const versionOf = (m: { line: ChargeLine | null; billed: Billed | null }) => (m.line ? m.line.version : m.billed!.version);
const dimsOf = (m: { line: ChargeLine | null; billed: Billed | null }) => (m.line ? m.line.dims : m.billed!.dims);

function compareDims(charge: ChargeIR, a: Record<string, string | null>, b: Record<string, string | null>): number {
  for (const d of charge.dimensions) {
    const x = a[d] ?? null;
    const y = b[d] ?? null;
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    return compareText(x, y);
  }
  return 0;
}

/** A billed line repriced with no late usage of its own: quantity 0, the difference in price. */
function fromBilled(b: Billed, like: ChargeLine, charge: ChargeIR): ChargeLine {
  return {
    ...like,
    lineId: b.lineId,
    account: b.account,
    period: b.period,
    periodStart: b.periodStartText,
    periodEnd: b.periodEndText,
    dims: b.dims,
    dimensionLabel: charge.dimensions.map((d) => b.dims[d] ?? '').join('|'),
    version: b.version,
    at: b.at,
    quantity: ZERO,
  };
}
