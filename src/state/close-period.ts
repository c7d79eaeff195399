/**
 * `tally close PERIOD`: period-end work (expiry and breakage, prepaid rollover, minimum-commitment true-ups,
 * see src/wallet/close.ts) as one transaction. The period is a label runs wrote on their lines (2026-10);
 * its bounds come from those lines, so a ruleset's time zone is respected. Closing a period twice makes
 * nothing new: the second close reports what the first one did.
 */
import { DataError } from '../cli/errors.js';
import { dec } from '../pricing/index.js';
import { closePeriod, type Breakage, type SpendLine, type TrueUpLine } from '../wallet/close.js';
import { parseInstant } from '../wallet/instant.js';
import type { Entry } from '../wallet/types.js';
import { balanceRows, loadBalances, placesOf, saveBalances, type BalanceRow } from './operations.js';
import { sqlText, TS, type StateStore } from './store.js';

export interface CloseOutcome {
  txnId: string;
  repeated: boolean;
  period: { label: string; start: string; end: string };
  trueUps: TrueUpLine[];
  breakage: Breakage[];
  entries: (Entry & { entryId: string })[];
  balances: BalanceRow[];
}

/** Bounds of a label when no line names it: UTC calendar periods (2026, 2026-Q4, 2026-10, 2026-10-15). */
export function utcPeriodBounds(label: string): { start: string; end: string } | null {
  const m = /^(\d{4})(?:-(?:Q([1-4])|(\d{2}))(?:-(\d{2}))?)?$/.exec(label);
  if (!m) return null;
  const [, y, q, mo, d] = m;
  const year = Number(y);
  const iso = (date: Date) => `${date.toISOString().slice(0, 19).replace('T', ' ')}.000000`;
  if (d !== undefined) {
    const start = parseInstant(`${y}-${mo}-${d}`);
    if (!start || q) return null;
    return { start, end: iso(new Date(Date.UTC(year, Number(mo) - 1, Number(d) + 1))) };
  }
  if (mo !== undefined) {
    if (Number(mo) < 1 || Number(mo) > 12) return null;
    return { start: iso(new Date(Date.UTC(year, Number(mo) - 1, 1))), end: iso(new Date(Date.UTC(year, Number(mo), 1))) };
  }
  if (q !== undefined) return { start: iso(new Date(Date.UTC(year, (Number(q) - 1) * 3, 1))), end: iso(new Date(Date.UTC(year, Number(q) * 3, 1))) };
  return { start: iso(new Date(Date.UTC(year, 0, 1))), end: iso(new Date(Date.UTC(year + 1, 0, 1))) };
}

export async function closeStatePeriod(store: StateStore, label: string, opts: { allowMissingRuns: boolean; dryRun: boolean }): Promise<CloseOutcome> {
  const txnId = `close:${label}`;
  const q = sqlText(label);
  const [bounds] = await store.rows(`SELECT ${TS('min(period_start)')}, ${TS('max(period_end)')}, count(*) FROM lines WHERE period = ${q}`);
  let period: { label: string; start: string; end: string };
  if (Number(bounds![2]) > 0) {
    period = { label, start: bounds![0]!, end: bounds![1]! };
  } else {
    const utc = utcPeriodBounds(label);
    if (!utc) throw new DataError(`"${label}" is not a period (write 2026-10, 2026-Q4, 2026 or 2026-10-15)`);
    if (!opts.allowMissingRuns) {
      throw new DataError(`no run has rated period ${label} in ${store.file}; nothing was closed`, 'run `tally run` for the period first, or pass --allow-missing-runs to close it anyway');
    }
    period = { label, ...utc };
  }

  if (await store.txnExists(txnId)) {
    const entries = await store.entries(`txn_id = '${txnId.replace(/'/g, "''")}'`);
    const trueUps = (await store.rows(`SELECT line_id, account_id, period, commitment_id, currency, CAST(minimum AS VARCHAR), CAST(spend AS VARCHAR), CAST(amount AS VARCHAR)
        FROM true_ups WHERE txn_id = '${txnId.replace(/'/g, "''")}' ORDER BY line_id`)).map((r) => ({
      lineId: r[0]!, account: r[1]!, period: r[2]!, commitment: r[3]!, currency: r[4]!, minimum: dec(r[5]!), spend: dec(r[6]!), amount: dec(r[7]!),
    }));
    const breakage = entries.filter((e) => e.type === 'expiry' || e.type === 'commitment_breakage').map((e) => ({ account: e.account, grant: e.grant, commitment: e.commitment, amount: e.amount.neg(), currency: e.currency, at: e.at }));
    return { txnId, repeated: true, period, trueUps, breakage, entries: entries.map(({ seq: _s, txnId: _t, ...e }) => e), balances: await loadBalances(store, txnId) };
  }

  const spend: SpendLine[] = (await store.textRows(`SELECT account_id, charge, meter, dims, currency, CAST(amount AS VARCHAR) AS amount FROM lines WHERE period = ${q} AND NOT held
      UNION ALL SELECT account_id, charge, meter, dims, currency, CAST(amount AS VARCHAR) FROM adjustments WHERE period = ${q}`, 'NULL')).map((r) => ({
    account: r[0]!, charge: r[1]!, meter: r[2]!, dims: JSON.parse(r[3]!) as Record<string, string | null>, currency: r[4]!, amount: dec(r[5]!),
  }));
  const pos = await store.loadPosition();
  const result = closePeriod(pos, period, spend, placesOf);
  const balances = balanceRows(pos, null, period.end);
  if (!opts.dryRun) {
    await store.transaction(async () => {
      await store.recordTxn(txnId, 'close', { period: label, true_ups: result.trueUps.length });
      await store.appendRows('closes', [[label, period.start, period.end, txnId]]);
      for (const c of result.newCommitments) await store.insertCommitment(c, `rollover:${label}`);
      await store.appendEntries(txnId, result.entries);
      await saveBalances(store, txnId, balances);
      await store.appendRows('true_ups', result.trueUps.map((t) => [txnId, t.lineId, t.account, t.period, t.commitment, t.currency, t.minimum.toFixed(), t.spend.toFixed(), t.amount.toFixed()]));
    });
    await store.checkpoint();
  }
  return {
    txnId, repeated: false, period, trueUps: result.trueUps, breakage: result.breakage,
    entries: result.entries.map((e, i) => ({ ...e, entryId: `${txnId}:${i + 1}` })), balances,
  };
}
