/**
 * What has been billed per line so far for some periods by one ruleset: the runs' lines (unless held; late
 * lines included) plus every re-rate adjustment, summed per line id. The one definition both late usage
 * (src/run/late.ts) and re-rating (src/run/rerate.ts) build on.
 */
import { dec, type Decimal } from '../pricing/index.js';
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
  const rows = await store.rows(`WITH billed AS (
      SELECT line_id, account_id, period, period_start, period_end, charge, meter, dims, incurred_at, currency, amount, covered_by_commitment,
        covered_by_credits, overage, quantity, price_version, txn_id, false AS adjusted
      FROM lines WHERE period IN (${inList}) AND NOT held
      UNION ALL
      SELECT a.line_id, a.account_id, a.period, a.period_start, l.period_end, a.charge, a.meter, a.dims, a.incurred_at, a.currency, a.amount,
        a.covered_by_commitment, a.covered_by_credits, a.overage, a.quantity, a.price_version, a.txn_id, true AS adjusted
      FROM adjustments a LEFT JOIN (SELECT DISTINCT line_id, period_end FROM lines) l USING (line_id) WHERE a.period IN (${inList}))
    SELECT b.line_id, any_value(account_id), any_value(period), ${TS('any_value(period_start)')}, CAST(any_value(period_start) AS VARCHAR),
      CAST(max(period_end) AS VARCHAR), any_value(charge), any_value(meter), any_value(dims), ${TS('max(incurred_at)')}, any_value(currency),
      CAST(sum(amount) AS VARCHAR), CAST(sum(covered_by_commitment) AS VARCHAR), CAST(sum(covered_by_credits) AS VARCHAR), CAST(sum(overage) AS VARCHAR),
      CAST(sum(CAST(quantity AS DECIMAL(38, 18))) AS VARCHAR), CAST(max(CAST(quantity AS DECIMAL(38, 18))) AS VARCHAR),
      CAST(min(CAST(quantity AS DECIMAL(38, 18))) AS VARCHAR), CAST(any_value(price_version) AS VARCHAR), CAST(bool_or(adjusted) AS VARCHAR),
      arg_max(t.ruleset_sha256, t.recorded_at)
    FROM billed b JOIN txns t USING (txn_id) WHERE t.ruleset = ${q(rulesetName)} GROUP BY b.line_id ORDER BY b.line_id`);
  return rows.map((r) => ({
    lineId: r[0]!, account: r[1]!, period: r[2]!, periodStart: r[3]!, periodStartText: r[4]!, periodEndText: r[5] ?? r[4]!, charge: r[6]!, meter: r[7]!,
    dims: JSON.parse(r[8]!) as Record<string, string | null>, at: r[9]!, currency: r[10]!, amount: dec(r[11]!), coveredByCommitment: dec(r[12]!),
    coveredByCredits: dec(r[13]!), overage: dec(r[14]!), quantity: { sum: dec(r[15] ?? '0'), max: dec(r[16] ?? '0'), min: dec(r[17] ?? '0') },
    version: Number(r[18] ?? 0), adjusted: r[19] === 'true', lastRuleset: r[20] ?? '',
  }));
}
