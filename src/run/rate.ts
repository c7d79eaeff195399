/**
 * Metering and rating: per charge, SQL aggregates the live events into line quantities; JavaScript prices each
 * group (account, period, charge) with the pure pricers and rounds once per line.
 */
import { createHash } from 'node:crypto';
import type { Database } from '../engine/duckdb/database.js';
import { dec, Decimal, priceGroup, type LineInput, type PricedLine } from '../pricing/index.js';
import { chargeLinesSql } from '../plan/metering-sql.js';
import type { ChargeIR, MeterIR, RulesetIR } from '../ruleset/ir.js';

export interface ChargeLine {
  lineId: string;
  account: string;
  period: string;
  periodStart: string;
  periodEnd: string;
  charge: string;
  meter: string;
  dims: Record<string, string | null>;
  dimensionLabel: string;
  version: number;
  quantity: Decimal;
  quantityScale: number;
  currency: string;
  minorUnits: number;
  priced: PricedLine;
}

export async function rateCharges(db: Database, ruleset: RulesetIR): Promise<ChargeLine[]> {
  const lines: ChargeLine[] = [];
  for (const charge of ruleset.charges) {
    const meter = ruleset.meters.find((m) => m.name === charge.meter)!;
    const rows = await db.rows(chargeLinesSql(ruleset, meter, charge));
    lines.push(...priceRows(ruleset, meter, charge, rows));
  }
  return sortLines(lines);
}

type Row = (string | number | boolean | null)[];

function priceRows(ruleset: RulesetIR, meter: MeterIR, charge: ChargeIR, rows: Row[]): ChargeLine[] {
  const n = charge.dimensions.length;
  const unpriced = rows.map((r) => {
    const [account, start, end, period, version] = r as [string, string, string, string, number];
    const dimValues = r.slice(5, 5 + n).map((v) => (v === null ? null : String(v)));
    const [q, aux, eventAmount] = r.slice(5 + n) as [string | null, string | null, string | null | undefined];
    return {
      account,
      periodStart: String(start),
      periodEnd: String(end),
      period: String(period),
      version: Number(version),
      dims: Object.fromEntries(charge.dimensions.map((d, i) => [d, dimValues[i] ?? null])),
      dimValues,
      quantity: meterQuantity(meter, q, aux),
      eventAmount: eventAmount === undefined || eventAmount === null ? undefined : dec(eventAmount),
    };
  });
  // Group lines by account and period; within a group, lines in version then dimension order (the pricing contract).
  const groups = new Map<string, typeof unpriced>();
  for (const u of unpriced) {
    const key = `${u.account}\u0000${u.periodStart}`;
    const g = groups.get(key);
    if (g) g.push(u);
    else groups.set(key, [u]);
  }
  const out: ChargeLine[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => a.version - b.version || compareLists(a.dimValues, b.dimValues));
    const inputs: LineInput[] = group.map((u) => ({ dims: u.dims, version: u.version, quantity: u.quantity, ...(u.eventAmount ? { eventAmount: u.eventAmount } : {}) }));
    const priced = priceGroup(charge.pricing, inputs, { account: group[0]!.account });
    group.forEach((u, i) => {
      const dimensionLabel = u.dimValues.map((v) => v ?? '').join('|');
      out.push({
        lineId: lineId(ruleset.name, u.account, u.periodStart, charge.name, u.version, u.dimValues),
        account: u.account,
        period: u.period,
        periodStart: u.periodStart,
        periodEnd: u.periodEnd,
        charge: charge.name,
        meter: meter.name,
        dims: u.dims,
        dimensionLabel,
        version: u.version,
        quantity: u.quantity,
        quantityScale: meter.scale,
        currency: charge.pricing.currency,
        minorUnits: charge.pricing.minorUnits,
        priced: priced[i]!,
      });
    });
  }
  return out;
}

/** The meter's quantity from SQL text; averages and time-weighted sums divide here, half-even at the meter's scale. */
function meterQuantity(meter: MeterIR, q: string | null, aux: string | null): Decimal {
  const value = dec(q ?? '0');
  if (meter.aggregation === 'avg') return aux && aux !== '0' ? value.div(dec(aux)).toDecimalPlaces(meter.scale, Decimal.ROUND_HALF_EVEN) : dec(0);
  if (meter.aggregation === 'time_weighted_sum') return value.div(dec(aux ?? '1')).toDecimalPlaces(meter.scale, Decimal.ROUND_HALF_EVEN);
  return value;
}

/** A line's id depends only on what identifies it, so a re-run gives the same ids. */
export function lineId(ruleset: string, account: string, periodStart: string, charge: string, version: number, dims: (string | null)[]): string {
  return createHash('sha256').update(JSON.stringify([ruleset, account, periodStart, charge, version, dims])).digest('hex').slice(0, 24);
}

function compareLists(a: (string | null)[], b: (string | null)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const c = compareText(a[i] ?? '', b[i] ?? '');
    if (c) return c;
  }
  return 0;
}

/**
 * Code-unit order, not locale order: the same as UTF-8 byte order (DuckDB's, `LC_ALL=C sort`'s) for every
 * character below U+E000, which covers identifiers in practice.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Output order: account, period, charge, dimension label, version. */
export function sortLines(lines: ChargeLine[]): ChargeLine[] {
  return lines.sort(
    (x, y) =>
      compareText(x.account, y.account) ||
      compareText(x.period, y.period) ||
      compareText(x.charge, y.charge) ||
      compareText(x.dimensionLabel, y.dimensionLabel) ||
      x.version - y.version,
  );
}
