/**
 * `tally rerate`: a historical period rated again from its usage, compared with what was billed for it, and
 * corrected by new lines only (billed lines are never changed in place), with the matching wallet
 * corrections, all in one transaction:
 *
 * 1. the period's usage is rated afresh (by the ruleset given, or the one its runs used);
 * 2. each line whose amount moved, appeared or disappeared gets a reversing and a new line (or one delta line);
 * 3. the draw-downs of the changed lines (from every run and earlier re-rate) are reversed at their own
 *    instants, and the new versions go through the waterfall again, in time order, from the restored balances,
 *    so balances end as if the period had been rated right the first time (top-ups already made stay: they
 *    were purchases);
 * 4. the same re-rate again (same ruleset, period, accounts, inputs and mode) records nothing and rewrites its
 *    outputs from what was committed.
 *
 * Held lines were never billed: a re-rate bills their new version like any new line.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataError } from '../cli/errors.js';
import { dec, Decimal, ZERO } from '../pricing/index.js';
import { placesOf } from '../ruleset/currencies.js';
import type { RulesetIR } from '../ruleset/ir.js';
import { adjustmentRows, planChanges, type AdjustmentRow, type BilledLine, type Breakdown, type LineFacts } from '../rerate/plan.js';
import { balanceRows, loadBalances, saveBalances, type BalanceRow } from '../state/operations.js';
import { sqlText as q, TS, type StateStore } from '../state/store.js';
import { loadBilled as loadBilledRows } from '../state/billed.js';
import { parseInstant } from '../wallet/instant.js';
import type { Position } from '../wallet/position.js';
import type { Entry, TopUp } from '../wallet/types.js';
import { runWaterfall } from '../wallet/waterfall.js';
import type { EngineOptions } from '../engine/duckdb/database.js';
import { runRuleset, type RunOptions } from './run.js';
import type { SettledEntry } from './settle.js';

export interface RerateOptions {
  period: string;
  accounts: string[] | null;
  mode: 'pair' | 'delta';
  dryRun: boolean;
  engine?: EngineOptions;
  /** Where remote inputs come from (see RunOptions.sources). */
  sources?: RunOptions['sources'];
}

export interface Movement {
  account: string;
  charge: string;
  currency: string;
  old: Decimal;
  new: Decimal;
}

export interface RerateResult {
  txnId: string;
  repeated: boolean;
  adjustments: (AdjustmentRow & { adjustmentId: string })[];
  entries: SettledEntry[];
  topUps: TopUp[];
  balances: BalanceRow[];
  /** Per account and charge: billed before, billed after. */
  summary: Movement[];
}

const DRAWS = ['drawdown', 'overdraft', 'commitment_drawdown'];

export async function rerate(store: StateStore, ruleset: RulesetIR, inputs: string[], opts: RerateOptions): Promise<RerateResult> {
  const { lines: rated, hashes } = await rateAfresh(ruleset, inputs, opts.engine, opts.sources);
  const inScope = (l: { period: string; account: string }) => l.period === opts.period && (!opts.accounts || opts.accounts.includes(l.account));
  const fresh: LineFacts[] = rated.filter(inScope);
  const closed = await store.rows(`SELECT period FROM closes WHERE period = ${q(opts.period)}`);
  if (closed.length) {
    throw new DataError(`period ${opts.period} is closed (its expiries, rollovers and true-ups are final); nothing was written`, 'a closed period cannot be re-rated yet: correct it by hand with grants or adjust the next period');
  }
  const baseId = `rerate-${createHash('sha256').update([ruleset.hash, opts.period, ...(opts.accounts ?? ['*']).sort(), opts.mode, ...hashes.sort()].join('\u241f')).digest('hex').slice(0, 16)}`;
  // The same re-rate again is a no-op only while nothing has billed or adjusted the period since it; after
  // another run or re-rate it is a new correction (rerating back and forth must move the bill each time).
  const [latest] = await store.rows(`SELECT t.txn_id FROM txns t WHERE t.ruleset = ${q(ruleset.name)} AND t.kind IN ('run', 'rerate')
      AND (EXISTS (SELECT 1 FROM lines l WHERE l.txn_id = t.txn_id AND l.period = ${q(opts.period)})
        OR EXISTS (SELECT 1 FROM adjustments a WHERE a.txn_id = t.txn_id AND a.period = ${q(opts.period)}))
    ORDER BY t.recorded_at DESC, t.txn_id DESC LIMIT 1`);
  if (latest?.[0] !== undefined && latest[0]!.startsWith(baseId)) return replay(store, latest[0]!, ruleset.name, opts);
  const earlier = Number((await store.rows(`SELECT count(*) FROM txns WHERE starts_with(txn_id, ${q(baseId)})`))[0]![0]);
  const txnId = earlier ? `${baseId}-${earlier + 1}` : baseId;

  const billed = (await loadBilled(store, opts.period, ruleset.name)).filter(inScope);
  if (!billed.length && !fresh.length) {
    throw new DataError(`nothing was billed for period ${opts.period}${opts.accounts ? ` to ${opts.accounts.join(', ')}` : ''}, and the inputs have no usage for it`, 'check --period (a label as on the lines, e.g. 2026-10) and the inputs');
  }
  // Reverse what the period's lines drew (net of earlier re-rates, at the instants they drew it), and send the
  // fresh lines through the waterfall again in time order: a changed line can change what the lines after it
  // were paid with, so the whole period is re-applied, and any line whose amount or breakdown moved is adjusted.
  const pos = await store.loadPosition();
  const reversals = netDraws(await store.entries(`line_id IS NOT NULL AND type IN (${DRAWS.map(q).join(', ')})`), new Set(billed.map((l) => l.lineId)));
  for (const e of reversals) pos.applyEntry(e);
  for (const e of await unrepay(store, pos, opts.period)) reversals.push(e); // no spread: it can be long
  const result = runWaterfall(pos, fresh.map((l) => ({ ...l })), { topUpId: (n) => `${txnId}-topup-${n}` });
  const paid = new Map<string, Breakdown>([...result.breakdown].map(([id, b]) => [id, b]));
  // A line the waterfall holds again is not billed by the re-rate either (nothing of it counts as billed).
  const billable = fresh.filter((l) => !result.breakdown.get(l.lineId)?.held);
  const changes = planChanges(billed, billable, paid);
  const rows = adjustmentRows(changes, paid, opts.mode).map((r, i) => ({ ...r, adjustmentId: `${txnId}:${i + 1}` }));
  const entries = withoutNoOps(reversals, result.entries);
  const lastAt = [...billed, ...fresh].reduce((m, l) => (l.at > m ? l.at : m), '0000-01-01 00:00:00.000000');
  const balances = balanceRows(pos, null, lastAt);

  await store.transaction(async () => {
    await store.recordTxn(txnId, 'rerate', { period: opts.period, accounts: opts.accounts, mode: opts.mode, inputs, ruleset_file: path.resolve(ruleset.file), changes: changes.length }, { name: ruleset.name, sha256: ruleset.hash });
    for (const t of result.topUps) await store.insertGrant(t.grant, 'topup');
    await store.appendEntries(txnId, entries);
    await store.appendRows('adjustments', rows.map((r) => adjustmentRow(txnId, r)));
    await saveBalances(store, txnId, balances);
  }, { commit: !opts.dryRun });
  if (!opts.dryRun) await store.checkpoint();
  return {
    txnId, repeated: false, adjustments: rows, entries: entries.map((e, i) => ({ ...e, entryId: `${txnId}:${i + 1}` })), topUps: result.topUps, balances,
    summary: summarize(billed, billable),
  };
}

/** The period's usage rated with no state and no outputs kept: its lines, and the inputs' hashes. */
async function rateAfresh(ruleset: RulesetIR, inputs: string[], engine?: EngineOptions, sources?: RunOptions['sources']): Promise<{ lines: LineFacts[]; hashes: string[] }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-rerate-'));
  try {
    const { lines, manifest } = await runRuleset(ruleset, inputs, { out, format: 'csv', ...(engine ? { engine } : {}), ...(sources ? { sources } : {}) });
    return {
      lines: lines.map((l) => ({
        lineId: l.lineId, account: l.account, period: l.period, periodStart: parseInstant(l.periodStart)!, charge: l.charge, meter: l.meter, dims: l.dims,
        dimension: l.dimensionLabel, at: l.at, currency: l.currency, minorUnits: l.minorUnits, amount: l.priced.amount, quantity: l.quantity, version: l.version,
      })),
      hashes: manifest.inputs.map((i) => i.sha256),
    };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** What has been billed per line of the period by the ruleset, as the planner sees it. */
async function loadBilled(store: StateStore, period: string, rulesetName: string): Promise<BilledLine[]> {
  return (await loadBilledRows(store, [period], rulesetName)).map((b) => ({
    lineId: b.lineId, account: b.account, period: b.period, periodStart: b.periodStart, charge: b.charge, meter: b.meter, dims: b.dims,
    dimension: Object.values(b.dims).map((v) => v ?? '').join('|'), at: b.at, currency: b.currency, minorUnits: placesOf(b.currency), amount: b.amount,
    coveredByCommitment: b.coveredByCommitment, coveredByCredits: b.coveredByCredits, overage: b.overage, quantity: b.quantity.sum, version: b.version,
  }));
}

/**
 * An overdraft that was repaid (by a top-up or grant) and is now reversed would leave the wallet owing less than
 * nothing: the repayment is undone instead, most recent first, giving the grant back what it paid.
 */
async function unrepay(store: StateStore, pos: Position, period: string): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const [wallet, used] of pos.overdraftUsed) {
    if (used.gte(0)) continue;
    let owed = used.neg();
    const repaid = await store.rows(`SELECT grant_id, CAST(-sum(amount) AS VARCHAR), max(seq) FROM entries
      WHERE type = 'repay' AND grant_id IS NOT NULL AND wallet_id = ${q(wallet)} GROUP BY grant_id HAVING sum(amount) < 0 ORDER BY max(seq) DESC`);
    const w = pos.wallets.get(wallet)!;
    for (const [grant, amount] of repaid) {
      if (owed.lte(0)) break;
      const x = Decimal.min(owed, dec(amount!));
      const base = { at: pos.grants.get(grant!)!.effectiveAt, account: w.account, wallet, commitment: null, lineId: null, periodStart: null, currency: w.currency, fiatAmount: null, fiatCurrency: null };
      const pair: Entry[] = [{ ...base, type: 'repay', grant: grant!, amount: x }, { ...base, type: 'repay', grant: null, amount: x.neg() }];
      for (const e of pair) pos.applyEntry(e);
      out.push(...pair);
      owed = owed.minus(x);
    }
    if (owed.gt(0)) throw new DataError(`re-rating ${period} would leave wallet ${wallet} owing ${owed.neg().toFixed()}; nothing was written`, 'check the wallet with `tally wallet verify`');
  }
  return out;
}

/**
 * The reversals and new draws to record, less those of lines drawn again exactly as before (the same draws on
 * the same grants): a re-rate writes only what it changes.
 */
function withoutNoOps(reversals: Entry[], draws: Entry[]): Entry[] {
  const sig = (e: Entry) => [e.type, e.wallet, e.grant, e.commitment, e.account, e.amount.toFixed(), e.fiatAmount?.toFixed() ?? ''].join('\u241f');
  const byLine = (es: Entry[]) => {
    const m = new Map<string, string[]>();
    for (const e of es) if (e.lineId !== null && DRAWS.includes(e.type)) m.set(e.lineId, [...(m.get(e.lineId) ?? []), sig(e)]);
    return m;
  };
  const undone = byLine(reversals.map((e) => ({ ...e, amount: e.amount.neg(), fiatAmount: e.fiatAmount === null ? null : e.fiatAmount.neg() })));
  const redone = byLine(draws);
  const same = new Set<string>();
  for (const [line, sigs] of redone) if (JSON.stringify([...sigs].sort()) === JSON.stringify([...(undone.get(line) ?? [])].sort())) same.add(line);
  const keep = (e: Entry) => e.lineId === null || !DRAWS.includes(e.type) || !same.has(e.lineId);
  return [...reversals.filter(keep), ...draws.filter(keep)];
}

/** Entries undoing what is still drawn for the given lines: the net of each draw, negated. */
function netDraws(entries: readonly Entry[], lines: ReadonlySet<string>): Entry[] {
  const net = new Map<string, Entry>();
  for (const e of entries) {
    if (!lines.has(e.lineId!)) continue;
    const key = [e.type, e.wallet, e.grant, e.commitment, e.lineId, e.account, e.periodStart, e.currency, e.fiatCurrency, e.at].join('\u241f');
    const seen = net.get(key);
    net.set(key, seen ? { ...seen, amount: seen.amount.plus(e.amount), fiatAmount: (seen.fiatAmount ?? ZERO).plus(e.fiatAmount ?? ZERO) } : { ...e });
  }
  return [...net.values()]
    .filter((e) => !e.amount.isZero())
    .map((e) => ({ ...e, amount: e.amount.neg(), fiatAmount: e.fiatAmount === null ? null : e.fiatAmount.neg() }));
}

function summarize(billed: readonly BilledLine[], fresh: readonly LineFacts[]): Movement[] {
  const m = new Map<string, Movement>();
  const add = (l: LineFacts, side: 'old' | 'new') => {
    const k = `${l.account}\u241f${l.charge}\u241f${l.currency}`;
    const s = m.get(k) ?? { account: l.account, charge: l.charge, currency: l.currency, old: ZERO, new: ZERO };
    s[side] = s[side].plus(l.amount);
    m.set(k, s);
  };
  for (const l of billed) add(l, 'old');
  for (const l of fresh) add(l, 'new');
  return [...m.values()].sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : a.charge < b.charge ? -1 : a.charge > b.charge ? 1 : 0));
}

function adjustmentRow(txnId: string, r: AdjustmentRow & { adjustmentId: string }): string[] {
  return [txnId, r.adjustmentId, r.kind, r.lineId, r.account, r.period, r.periodStart, r.charge, r.meter, JSON.stringify(r.dims), r.dimension, r.at, r.currency,
    r.amount.toFixed(), r.coveredByCommitment.toFixed(), r.coveredByCredits.toFixed(), r.overage.toFixed(), r.quantity.toFixed(), String(r.version)];
}

/** The committed re-rate again, from the state. */
async function replay(store: StateStore, txnId: string, rulesetName: string, opts: RerateOptions): Promise<RerateResult> {
  const rows = await store.rows(`SELECT adjustment_id, kind, line_id, account_id, period, ${TS('period_start')}, charge, meter, dims, dimension, ${TS('incurred_at')}, currency,
      CAST(amount AS VARCHAR), CAST(covered_by_commitment AS VARCHAR), CAST(covered_by_credits AS VARCHAR), CAST(overage AS VARCHAR), quantity, CAST(price_version AS VARCHAR)
    FROM adjustments WHERE txn_id = ${q(txnId)} ORDER BY CAST(split_part(adjustment_id, ':', 2) AS INTEGER)`);
  const adjustments = rows.map((r) => ({
    adjustmentId: r[0]!, kind: r[1] as AdjustmentRow['kind'], lineId: r[2]!, account: r[3]!, period: r[4]!, periodStart: r[5]!, charge: r[6]!, meter: r[7]!,
    dims: JSON.parse(r[8]!) as Record<string, string | null>, dimension: r[9]!, at: r[10]!, currency: r[11]!, minorUnits: placesOf(r[11]!),
    amount: dec(r[12]!), coveredByCommitment: dec(r[13]!), coveredByCredits: dec(r[14]!), overage: dec(r[15]!), quantity: dec(r[16]!), version: Number(r[17]),
  }));
  const entries = await store.entries(`txn_id = ${q(txnId)}`);
  const pos = await store.loadPosition();
  const topUps = entries.filter((e) => e.type === 'topup').map((e) => ({ grant: pos.grants.get(e.grant!)!, account: e.account, currency: e.currency, lineId: e.lineId! }));
  // The summary of a repeat: billed before it (now less its own adjustments) and after it.
  const after = await loadBilled(store, opts.period, rulesetName);
  const own = new Map<string, Decimal>();
  for (const a of adjustments) own.set(a.lineId, (own.get(a.lineId) ?? ZERO).plus(a.amount));
  const inScope = (l: { account: string }) => !opts.accounts || opts.accounts.includes(l.account);
  const before = after.filter(inScope).map((l) => ({ ...l, amount: l.amount.minus(own.get(l.lineId) ?? ZERO) }));
  return {
    txnId, repeated: true, adjustments, entries: entries.map(({ seq: _s, txnId: _t, ...e }) => e), topUps, balances: await loadBalances(store, txnId),
    summary: summarize(before, after.filter(inScope)),
  };
}
