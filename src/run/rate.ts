/**
 * Metering and rating: per charge, SQL aggregates the live events into line quantities; JavaScript prices each
 * group (account, period, charge) with the pure pricers and rounds once per line.
 */
import { DataError } from '../cli/errors.js';
import { compare, dec, Decimal, priceGroup, type LineInput, type PricedLine } from '../pricing/index.js';
import { chargeLinesOrder, chargeLinesSql } from '../plan/metering-sql.js';
import type { ChargeIR, MeterIR, RulesetIR } from '../ruleset/ir.js';
import type { LineBreakdown } from '../wallet/types.js';

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
  /** When the line was incurred: the time of its last event (canonical UTC text); the waterfall applies lines in this order. */
  at: string;
  /** What the waterfall made of the line (absent when the run keeps no state). */
  wallet?: LineBreakdown;
  /**
   * Late usage for a line already billed: `quantity` is the new usage, and the amount is what the line's group
   * costs with it, less what was billed (see src/run/late.ts).
   */
  late?: boolean;
  /** What outputs use of the priced line; the tier breakdown and trace are dropped (they would hold millions of decimals). */
  priced: Pick<PricedLine, 'exact' | 'amount' | 'unitPrice' | 'tierRef'>;
}

/** Where a charge's rows come from: DuckDB (Database.textRecords), or the lines a Snowflake pushdown fetched. */
export interface ChargeRowSource {
  textRecords(sql: string, orderBy?: string): Promise<Iterable<(string | null)[]>>;
}

/** `db` is DuckDB, or anything answering the same per-charge queries (a Snowflake pushdown, src/run/pushdown.ts). */
export async function rateCharges(db: ChargeRowSource, ruleset: RulesetIR, opts: { compactAfterLines?: number } = {}): Promise<ChargeLine[]> {
  const compactAfter = opts.compactAfterLines ?? COMPACT_AFTER_LINES;
  const lines: ChargeLine[] = [];
  const meterOf = (c: ChargeIR) => ruleset.meters.find((m) => m.name === c.meter)!;
  const query = (c: ChargeIR) => {
    const rows = db.textRecords(chargeLinesSql(ruleset, meterOf(c), c), chargeLinesOrder(c)).catch((e: unknown) => {
      throw meteringFailure(meterOf(c), c, e);
    });
    // Handled when awaited; until then (pricing pauses while it runs) a failure must not count as unhandled,
    // which would end the process before the run could report it and clean up.
    rows.catch(() => {});
    return rows;
  };
  // Pipelined: DuckDB aggregates the next charge on its threads while JavaScript prices this one. Pricing yields
  // to the event loop every few milliseconds: a query's steps (its column names, then its rows) continue on this
  // thread, so a pricing loop that never yields would hold the next query back until it ends.
  let next = ruleset.charges.length ? query(ruleset.charges[0]!) : null;
  const shared = new SharedValues();
  try {
    for (const [i, charge] of ruleset.charges.entries()) {
      const rows = await next!;
      const following = ruleset.charges[i + 1];
      next = following ? query(following) : null;
      await priceRows(meterOf(charge), charge, rows, shared, lines, compactAfter);
    }
  } catch (e) {
    await next?.catch(() => {}); // never leave a query running on a database about to close
    throw e;
  }
  return sortLines(lines);
}

type Row = (string | null)[];

/**
 * A meter whose aggregate does not fit DECIMAL(38, s) (quantities near 10^35): said as such, naming the meter and
 * charge, instead of DuckDB's "Overflow in HUGEINT addition". Other errors pass through unchanged.
 */
function meteringFailure(meter: MeterIR, charge: ChargeIR, e: unknown): unknown {
  const message = e instanceof Error ? e.message : String(e);
  if (!/overflow|out of range/i.test(message)) return e;
  return new DataError(`meter ${meter.name} (charge ${charge.name}) overflows: its ${meter.aggregation} does not fit 38 digits with ${meter.scale} decimals; nothing was written`,
    'check the quantities: values this large are usually a unit or parsing error upstream');
}

/**
 * Prices the rows of one charge into `out` (no spread: millions of lines). SQL returns them ordered by account,
 * period, version and dimension values, so each group (one account and period) is a run of consecutive rows,
 * already in the order pricing expects. Rows are taken one group at a time as they are split from DuckDB's texts.
 */
async function priceRows(meter: MeterIR, charge: ChargeIR, rows: Iterable<Row>, shared: SharedValues, out: ChargeLine[], compactAfter: number): Promise<void> {
  let group: Row[] = [];
  let slice = performance.now();
  for (const row of rows) {
    if (group.length > 0 && (row[0] !== group[0]![0] || row[1] !== group[0]![1])) {
      priceGroupRows(meter, charge, group, shared, out, compactAfter);
      group = [];
      if (performance.now() - slice > YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    }
    group.push(row);
  }
  if (group.length > 0) priceGroupRows(meter, charge, group, shared, out, compactAfter);
}

/** Prices one group's rows (one account and period of one charge) and appends its lines to `out`. */
function priceGroupRows(meter: MeterIR, charge: ChargeIR, rows: Row[], shared: SharedValues, out: ChargeLine[], compactAfter: number): void {
  const n = charge.dimensions.length;
  const group = rows.map((r) => {
    // Columns: account, period start, end and label, version, the dimension values, quantity, aux, [event amount], at, line id.
    const dims = shared.dims(charge.dimensions, n === 0 ? NO_VALUES : r.slice(5, 5 + n));
    const q = r[5 + n];
    const aux = r[6 + n];
    const eventAmount = charge.percentage ? r[7 + n] : null;
    return {
      row: r,
      label: dims.label,
      input: {
        dims: dims.values,
        version: Number(r[4]),
        quantity: meterQuantity(meter, q ?? null, aux ?? null),
        ...(eventAmount ? { eventAmount: dec(eventAmount) } : {}),
      } satisfies LineInput,
    };
  });
  const first = rows[0]!;
  const priced = priceGroup(charge.pricing, group.map((g) => g.input), { account: String(first[0]) });
  // Account and period are the group's: looked up once, not per line.
  const account = shared.text(String(first[0]));
  const { periodStart, periodEnd, period } = shared.period(String(first[1]), String(first[2]), String(first[3]));
  // Copies that save memory only matter once many lines are held (see compact and ownText); below that they
  // cost more time (a third of pricing's garbage at 10 M S1 events) than the memory they save.
  const tight = out.length >= compactAfter;
  const own = tight ? ownText : (t: string) => t;
  const keep = tight ? compact : (x: Decimal) => x;
  group.forEach((g, i) => {
    const r = g.row;
    out.push({
      lineId: own(String(r[r.length - 1])),
      at: own(String(r[r.length - 2])),
      account,
      periodStart,
      periodEnd,
      period,
      charge: charge.name,
      meter: meter.name,
      dims: g.input.dims,
      dimensionLabel: g.label,
      version: g.input.version,
      quantity: keep(g.input.quantity),
      quantityScale: meter.scale,
      currency: charge.pricing.currency,
      minorUnits: charge.pricing.minorUnits,
      priced: shared.priced(priced[i]!, keep),
    });
  });
}

const NO_VALUES: readonly (string | null)[] = [];

/** How long pricing runs before letting queued DuckDB work continue (see rateCharges). */
const YIELD_EVERY_MS = 5;

/** Lines held before decimals and texts are copied compact: 250,000 lines of slack take about 100 MB. */
const COMPACT_AFTER_LINES = 250_000;

/** The meter's quantity from SQL text; averages and time-weighted sums divide here, half-even at the meter's scale. */
function meterQuantity(meter: MeterIR, q: string | null, aux: string | null): Decimal {
  const value = dec(q ?? '0');
  if (meter.aggregation === 'avg') return aux && aux !== '0' ? value.div(dec(aux)).toDecimalPlaces(meter.scale, Decimal.ROUND_HALF_EVEN) : dec(0);
  if (meter.aggregation === 'time_weighted_sum') return value.div(dec(aux ?? '1')).toDecimalPlaces(meter.scale, Decimal.ROUND_HALF_EVEN);
  return value;
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

/**
 * Values that repeat on many lines, kept once: texts (accounts, periods, dimension values, tier references),
 * dimension objects, unit prices, and an amount equal to its exact value. Lines only read them (decimals are
 * immutable), and at 100 M events there are millions of lines to hold until they are sorted and written.
 */
class SharedValues {
  private readonly texts = new Map<string, string>();
  /** Per list of dimension names (a charge's own array), the objects by their values' JSON. */
  private readonly dimObjects = new Map<readonly string[], Map<string, { values: Record<string, string | null>; label: string }>>();
  private readonly prices = new Map<string, Decimal>();
  /** Unit prices mostly come from the rate card's own objects: known by identity, they need no text key. */
  private readonly pricesSeen = new WeakSet<Decimal>();

  /** The period texts of a group: most groups have the previous group's period, known by comparing the texts. */
  period(start: string, end: string, label: string): { periodStart: string; periodEnd: string; period: string } {
    const last = this.lastPeriod;
    if (last && last.periodStart === start && last.periodEnd === end && last.period === label) return last;
    this.lastPeriod = { periodStart: this.text(start), periodEnd: this.text(end), period: this.text(label) };
    return this.lastPeriod;
  }

  private lastPeriod: { periodStart: string; periodEnd: string; period: string } | null = null;

  /** The one copy of a text; kept as a string of its own (see ownText), never a slice holding DuckDB's text. */
  text(t: string): string {
    const seen = this.texts.get(t);
    if (seen !== undefined) return seen;
    const own = ownText(t);
    this.texts.set(own, own);
    return own;
  }

  /** The dimension object of a line and its label ("us-east|peak"), one of each per distinct combination. */
  dims(names: readonly string[], values: readonly (string | null)[]): { values: Record<string, string | null>; label: string } {
    let byValues = this.dimObjects.get(names);
    if (!byValues) this.dimObjects.set(names, (byValues = new Map()));
    // Unambiguous among lists of one length (one map per list of names): null apart from any text, values quoted.
    const key = values.length === 1 ? (values[0] === null ? 'n' : `s${values[0]}`) : JSON.stringify(values);
    let d = byValues.get(key);
    if (!d) {
      d = {
        values: Object.freeze(Object.fromEntries(names.map((name, i) => [name, values[i] ?? null]))) as Record<string, string | null>,
        label: values.map((v) => v ?? '').join('|'),
      };
      byValues.set(key, d);
    }
    return d;
  }

  /** The priced line's values as held; `keep` copies a decimal compact, or leaves it (see priceRows). */
  priced(p: PricedLine, keep: (x: Decimal) => Decimal): ChargeLine['priced'] {
    let unitPrice = p.unitPrice;
    if (unitPrice && !this.pricesSeen.has(unitPrice)) {
      const k = unitPrice.toFixed();
      this.pricesSeen.add(unitPrice);
      unitPrice = this.prices.get(k) ?? (this.prices.set(k, unitPrice), unitPrice);
    }
    const exact = keep(p.exact);
    const amount = compare(p.amount, p.exact) === 0 && !p.exact.isZero() ? exact : keep(p.amount);
    return { exact, amount, unitPrice, tierRef: this.text(p.tierRef) };
  }
}

/**
 * A decimal held until the lines are written, copied: decimal.js builds its digit arrays by appending, and V8
 * leaves room to grow in them, so a computed decimal takes about 250 bytes; its copy (an exact-size array)
 * about 130. At 100 M events a run holds millions of lines, three decimals each.
 */
function compact(x: Decimal): Decimal {
  return new Decimal(x);
}

/**
 * A field text as a string of its own: fields split from the large texts DuckDB returns are slices of them, and
 * one held slice keeps a whole 100,000-row text alive. Concatenating makes V8 copy the few characters.
 */
function ownText(s: string): string {
  return (` ${s}`).slice(1);
}
