/**
 * The waterfall: how a rated charge line is paid. Pure: it reads and moves a Position, and returns the ledger
 * entries it made, so the caller decides whether they are committed (`tally run`) or thrown away (`--dry-run`).
 *
 * Lines are applied in the order they were incurred (their last event; then account and line id), and each
 * line goes down these steps until nothing is left of its amount:
 *
 *   1. prepaid commitments of the account in force at the line's time, soonest-ending first;
 *   2. credit grants of the wallets that may pay the line: the account's own wallets (by wallet priority),
 *      then the pool wallets of its ancestors, nearest first; inside a wallet, grants in the wallet's
 *      draw-down order (default: priority, soonest expiry, promotional before purchased, oldest).
 *      A grant is usable on [effective, expiry): a grant expiring at the instant of a line does not pay it.
 *      A virtual-currency wallet pays whole minor units of the line at the rate in force at the line's time;
 *   3. overdraft of those wallets (same currency only), down to each one's limit;
 *   4. the rest is overage, unless a paying wallet holds lines at its limit: then the whole line is held
 *      (nothing drawn) with reason credit_limit_exceeded.
 *
 * After each line, a paying wallet with a top-up rule whose available balance is below its threshold gets a
 * purchased grant (at most N per billing period), effective at the line's time, so later lines use it (and a
 * line that was held is tried once more); a new grant first repays the wallet's overdraft.
 */
import { Decimal, ZERO } from '../pricing/index.js';
import { childKey, Position } from './position.js';
import type { Commitment, Entry, Grant, LineBreakdown, OrderKey, Restriction, TopUp, Wallet, WaterfallLine } from './types.js';
import { GRANT_KINDS } from './types.js';

export interface WaterfallResult {
  entries: Entry[];
  breakdown: Map<string, LineBreakdown>;
  topUps: TopUp[];
}

export interface WaterfallOptions {
  /** Id of the n-th top-up grant made by this application (deterministic, so a repeated run makes the same ids). */
  topUpId: (n: number) => string;
}

/** The order lines are applied in. */
export function compareLines(a: WaterfallLine, b: WaterfallLine): number {
  return a.at < b.at ? -1 : a.at > b.at ? 1 : a.account < b.account ? -1 : a.account > b.account ? 1 : a.lineId < b.lineId ? -1 : a.lineId > b.lineId ? 1 : 0;
}

export function runWaterfall(pos: Position, lines: readonly WaterfallLine[], opts: WaterfallOptions): WaterfallResult {
  const entries: Entry[] = [];
  const breakdown = new Map<string, LineBreakdown>();
  const topUps: TopUp[] = [];
  const topUpAfter = (line: WaterfallLine): boolean => {
    let any = false;
    for (const w of payingWallets(pos, line)) {
      const t = maybeTopUp(pos, w, line, opts.topUpId(topUps.length + 1), entries);
      if (t) topUps.push(t);
      any ||= t !== null;
    }
    return any;
  };
  // Lines of accounts with nothing to draw on are all overage, whatever their order: only the others are sorted
  // and applied (at 10 M S1 events with an empty state, sorting 180,000 lines by time was most of the waterfall).
  const payable: WaterfallLine[] = [];
  const mayPay = new Map<string, boolean>();
  for (const line of lines) {
    let may = mayPay.get(line.account);
    if (may === undefined) mayPay.set(line.account, (may = pos.mayPay(line.account)));
    if (may) payable.push(line);
    else breakdown.set(line.lineId, { coveredByCommitment: ZERO, coveredByCredits: ZERO, overage: line.amount, held: false });
  }
  for (const line of payable.sort(compareLines)) {
    let b = applyLine(pos, line, entries);
    // A line held at the limit is tried once more when a top-up it triggered can pay it.
    if (topUpAfter(line) && b.held) {
      b = applyLine(pos, line, entries);
      topUpAfter(line);
    }
    breakdown.set(line.lineId, b);
  }
  return { entries, breakdown, topUps };
}

function applyLine(pos: Position, line: WaterfallLine, ledger: Entry[]): LineBreakdown {
  const zero = { coveredByCommitment: ZERO, coveredByCredits: ZERO, overage: line.amount, held: false };
  if (line.amount.lte(0)) return zero;
  const made: Entry[] = [];
  const emit = (e: Entry) => {
    pos.applyEntry(e);
    made.push(e);
  };
  let left = line.amount;
  let byCommitment = ZERO;
  let byCredits = ZERO;

  for (const c of prepaidCommitments(pos, line)) {
    if (left.isZero()) break;
    const take = Decimal.min(pos.commitmentRemaining.get(c.id)!, left);
    if (take.lte(0)) continue;
    emit(entry(line, 'commitment_drawdown', { commitment: c.id, amount: take.neg(), currency: c.currency, fiat: take.neg() }));
    left = left.minus(take);
    byCommitment = byCommitment.plus(take);
  }

  const wallets = payingWallets(pos, line);
  for (const w of wallets) {
    const rate = w.currency === line.currency ? null : pos.rate(w.currency, line.currency, line.at)!;
    let cap = capRoom(pos, w, line);
    for (const g of sortGrants(pos.usableGrants(w.id, line.at), w.order)) {
      if (left.isZero() || (cap !== null && cap.lte(0))) break;
      const limit = cap === null ? pos.remaining.get(g.id)! : Decimal.min(pos.remaining.get(g.id)!, cap);
      let take: Decimal;
      let fiat: Decimal;
      if (rate === null) {
        take = fiat = Decimal.min(limit, left).toDecimalPlaces(line.minorUnits, Decimal.ROUND_DOWN);
      } else {
        // Whole minor units of the line, and never more credits than the grant holds.
        fiat = Decimal.min(limit.times(rate).toDecimalPlaces(line.minorUnits, Decimal.ROUND_DOWN), left);
        take = Decimal.min(fiat.div(rate).toDecimalPlaces(12, Decimal.ROUND_UP), limit);
      }
      if (fiat.lte(0)) continue;
      emit(entry(line, 'drawdown', { wallet: w.id, grant: g.id, amount: take.neg(), currency: w.currency, fiat: fiat.neg() }));
      left = left.minus(fiat);
      byCredits = byCredits.plus(fiat);
      if (cap !== null) cap = cap.minus(take);
    }
  }

  for (const w of wallets) {
    if (left.isZero()) break;
    if (w.currency !== line.currency || w.overdraftLimit.lte(0)) continue;
    const cap = capRoom(pos, w, line);
    let take = Decimal.min(w.overdraftLimit.minus(pos.overdraftUsed.get(w.id) ?? ZERO), left);
    if (cap !== null) take = Decimal.min(take, cap);
    take = take.toDecimalPlaces(line.minorUnits, Decimal.ROUND_DOWN);
    if (take.lte(0)) continue;
    emit(entry(line, 'overdraft', { wallet: w.id, amount: take.neg(), currency: w.currency, fiat: take.neg() }));
    left = left.minus(take);
    byCredits = byCredits.plus(take);
  }

  if (left.gt(0) && wallets.some((w) => w.onLimit === 'hold')) {
    // Undo this line's draw-downs: a held line draws nothing.
    for (const e of made) pos.applyEntry({ ...e, amount: e.amount.neg() });
    return { coveredByCommitment: ZERO, coveredByCredits: ZERO, overage: ZERO, held: true };
  }
  ledger.push(...made);
  return { coveredByCommitment: byCommitment, coveredByCredits: byCredits, overage: left, held: false };
}

function maybeTopUp(pos: Position, w: Wallet, line: WaterfallLine, id: string, ledger: Entry[]): TopUp | null {
  const rule = w.topUp;
  if (!rule) return null;
  const countKey = `${w.id}\u241f${line.periodStart}`;
  if ((pos.topUpCount.get(countKey) ?? 0) >= rule.maxPerPeriod) return null;
  const available = pos.available(w.id, line.at);
  if (available.gte(rule.threshold)) return null;
  const amount = rule.mode === 'fixed' ? rule.amount : rule.amount.minus(available);
  if (amount.lte(0)) return null;
  const grant: Grant = { id, wallet: w.id, amount, kind: 'purchased', priority: 0, effectiveAt: line.at, expiresAt: null, costBasis: amount };
  pos.addGrant(grant);
  const e = entry(line, 'topup', { wallet: w.id, grant: id, amount, currency: w.currency, fiat: null });
  e.account = w.account;
  pos.applyEntry(e);
  ledger.push(e);
  ledger.push(...repayOverdraft(pos, grant, line.at));
  return { grant, account: w.account, currency: w.currency, lineId: line.lineId };
}

/** A new grant first pays back what its wallet overdrew: a pair of entries that leaves the balance unchanged. */
export function repayOverdraft(pos: Position, grant: Grant, at: string): Entry[] {
  const used = pos.overdraftUsed.get(grant.wallet) ?? ZERO;
  const x = Decimal.min(used, pos.remaining.get(grant.id) ?? ZERO);
  if (x.lte(0)) return [];
  const w = pos.wallets.get(grant.wallet)!;
  const base = { at, account: w.account, wallet: w.id, commitment: null, lineId: null, periodStart: null, currency: w.currency, fiatAmount: null, fiatCurrency: null };
  const out: Entry[] = [
    { ...base, type: 'repay', grant: grant.id, amount: x.neg() },
    { ...base, type: 'repay', grant: null, amount: x },
  ];
  for (const e of out) pos.applyEntry(e);
  return out;
}

/** Wallets that may pay the line, in the order they are drawn. */
export function payingWallets(pos: Position, line: WaterfallLine): Wallet[] {
  const canPay = (w: Wallet) => matches(w.appliesTo, line) && (w.currency === line.currency || pos.rate(w.currency, line.currency, line.at) !== null);
  const byPriority = (a: Wallet, b: Wallet) => a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const own = pos.walletsOf(line.account).filter(canPay);
  own.sort((a, b) => Number(a.pool) - Number(b.pool) || byPriority(a, b));
  const pools = pos.ancestors(line.account).flatMap((acc) => pos.walletsOf(acc).filter((w) => w.pool && canPay(w)).sort(byPriority));
  return [...own, ...pools];
}

function prepaidCommitments(pos: Position, line: WaterfallLine): Commitment[] {
  return pos.commitmentsOf(line.account)
    .filter((c) => c.kind === 'prepaid' && c.currency === line.currency && c.start <= line.at && line.at < c.end && matches(c.appliesTo, line))
    .sort((a, b) => (a.end < b.end ? -1 : a.end > b.end ? 1 : a.id < b.id ? -1 : 1));
}

/** How much more a child may draw from an ancestor's pool this period (null: no cap). */
function capRoom(pos: Position, w: Wallet, line: WaterfallLine): Decimal | null {
  if (!w.pool || w.account === line.account) return null;
  const cap = w.childCaps[line.account] ?? w.childCap;
  if (cap === null) return null;
  return cap.minus(pos.childUse.get(childKey(w.id, line.account, line.periodStart)) ?? ZERO);
}

export function matches(r: Restriction | null, line: { charge: string; meter: string; dims: Record<string, string | null> }): boolean {
  if (!r) return true;
  if (r.charges && !r.charges.includes(line.charge)) return false;
  if (r.meters && !r.meters.includes(line.meter)) return false;
  for (const [dim, values] of Object.entries(r.dimensions ?? {})) {
    const v = line.dims[dim];
    if (v === null || v === undefined || !values.includes(v)) return false;
  }
  return true;
}

export function sortGrants(grants: Grant[], order: readonly OrderKey[]): Grant[] {
  const key: Record<OrderKey, (a: Grant, b: Grant) => number> = {
    priority: (a, b) => a.priority - b.priority,
    expiry: (a, b) => (a.expiresAt === b.expiresAt ? 0 : a.expiresAt === null ? 1 : b.expiresAt === null ? -1 : a.expiresAt < b.expiresAt ? -1 : 1),
    kind: (a, b) => GRANT_KINDS.indexOf(a.kind) - GRANT_KINDS.indexOf(b.kind),
    age: (a, b) => (a.effectiveAt < b.effectiveAt ? -1 : a.effectiveAt > b.effectiveAt ? 1 : 0),
  };
  return grants.sort((a, b) => {
    for (const k of order) {
      const c = key[k](a, b);
      if (c !== 0) return c;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

function entry(
  line: WaterfallLine,
  type: Entry['type'],
  p: { wallet?: string; grant?: string; commitment?: string; amount: Decimal; currency: string; fiat: Decimal | null },
): Entry {
  return {
    type,
    at: line.at,
    account: line.account,
    wallet: p.wallet ?? null,
    grant: p.grant ?? null,
    commitment: p.commitment ?? null,
    lineId: line.lineId,
    periodStart: line.periodStart,
    amount: p.amount,
    currency: p.currency,
    fiatAmount: p.fiat,
    fiatCurrency: p.fiat === null ? null : line.currency,
  };
}
