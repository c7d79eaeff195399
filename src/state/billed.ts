/**
 * What has been billed per line so far for some periods by one ruleset: the runs' lines (unless held; late
 * lines included) plus every re-rate adjustment, summed per line id. The one definition both late usage
 * (src/run/late.ts) and re-rating (src/run/rerate.ts) build on.
 */
import { dec, Decimal } from '../pricing/index.js';
import { sqlText as q, TS, type StateStore } from './store.js';

export interface BilledRow {
  lineId: string;
  account: string;
  period: string;
  /** Canonical UTC instant, and the text DuckDB gives a TIMESTAMP (as charge lines carry it). */
  periodStart: string;
  periodStartText: string;
  periodEndText: string;
  charge: string;
  meter: string;
  dims: Record<string, string | null>;
  /** The latest instant any of its lines was incurred. */
  at: string;
  currency: string;
  amount: Decimal;
  coveredByCommitment: Decimal;
  coveredByCredits: Decimal;
  overage: Decimal;
  /** The quantities of its lines, summed, and their largest and smallest. */
  quantity: { sum: Decimal; max: Decimal; min: Decimal };
  version: number;
  /** A re-rate adjusted it. */
  adjusted: boolean;
  /** The ruleset (sha256) of the last run or re-rate that billed it. */
  lastRuleset: string;
}

export async function loadBilled(store: StateStore, periods: readonly string[], rulesetName: string): Promise<BilledRow[]> {
  if (!periods.length) return [];
  const inList = periods.map(q).join(', ');
  // Every column is text, read as a few large texts (a daily run reads all the period's lines, 180,000 at 10 M
  // S1 events: 3 s value by value). The quantities come as a list and are summed here: DuckDB's text to
  // DECIMAL(38, 18) cast, which summing them in SQL needed, costs 4 µs a value.
  const rows = await store.textRows(`WITH billed AS (
      SELECT line_id, account_id, period, period_start, period_end, charge, meter, dims, incurred_at, currency, amount, covered_by_commitment,
        covered_by_credits, overage, quantity, price_version, txn_id, false AS adjusted
      FROM lines WHERE period IN (${inList}) AND NOT held
      UNION ALL
      SELECT a.line_id, a.account_id, a.period, a.period_start, l.period_end, a.charge, a.meter, a.dims, a.incurred_at, a.currency, a.amount,
        a.covered_by_commitment, a.covered_by_credits, a.overage, a.quantity, a.price_version, a.txn_id, true AS adjusted
      FROM adjustments a LEFT JOIN (SELECT DISTINCT line_id, period_end FROM lines) l USING (line_id) WHERE a.period IN (${inList}))
    SELECT b.line_id AS line_id, any_value(account_id) AS c1, any_value(period) AS c2, ${TS('any_value(period_start)')} AS c3,
      CAST(any_value(period_start) AS VARCHAR) AS c4, CAST(max(period_end) AS VARCHAR) AS c5, any_value(charge) AS c6, any_value(meter) AS c7,
      any_value(dims) AS c8, ${TS('max(incurred_at)')} AS c9, any_value(currency) AS c10, CAST(sum(amount) AS VARCHAR) AS c11,
      CAST(sum(covered_by_commitment) AS VARCHAR) AS c12, CAST(sum(covered_by_credits) AS VARCHAR) AS c13, CAST(sum(overage) AS VARCHAR) AS c14,
      string_agg(quantity, ' ') AS c15, CAST(any_value(price_version) AS VARCHAR) AS c16, CAST(bool_or(adjusted) AS VARCHAR) AS c17,
      arg_max(t.ruleset_sha256, t.recorded_at) AS c18
    FROM billed b JOIN txns t USING (txn_id) WHERE t.ruleset = ${q(rulesetName)} GROUP BY b.line_id`, 'line_id');
  return rows.map((r) => ({
    lineId: r[0]!, account: r[1]!, period: r[2]!, periodStart: r[3]!, periodStartText: r[4]!, periodEndText: r[5] ?? r[4]!, charge: r[6]!, meter: r[7]!,
    dims: JSON.parse(r[8]!) as Record<string, string | null>, at: r[9]!, currency: r[10]!, amount: dec(r[11]!), coveredByCommitment: dec(r[12]!),
    coveredByCredits: dec(r[13]!), overage: dec(r[14]!), quantity: quantities(r[15] ?? null),
    version: Number(r[16] ?? 0), adjusted: r[17] === 'true', lastRuleset: r[18] ?? '',
  }));
}

/** Sum, largest and smallest of a line's quantity texts (space-separated; none recorded: all zero). */
function quantities(list: string | null): BilledRow['quantity'] {
  if (list === null) return { sum: dec(0), max: dec(0), min: dec(0) };
  const values = list.split(' ').map((t) => dec(t));
  return { sum: Decimal.sum(...values), max: Decimal.max(...values), min: Decimal.min(...values) };
}
