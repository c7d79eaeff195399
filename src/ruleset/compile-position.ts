/**
 * accounts, wallets and commitments declared in a ruleset: the credit position a run brings into the state
 * file (alongside what `tally wallet`, `tally commit` and `tally account` add). Definitions only; money enters
 * the ledger through grants and commitments' entries, never through a ruleset edit of a balance.
 */
import path from 'node:path';
import { dec, ZERO, type Decimal } from '../pricing/index.js';
import { parseInstant } from '../wallet/instant.js';
import { DEFAULT_ORDER, type Account, type Commitment, type OrderKey, type Restriction, type Wallet } from '../wallet/types.js';
import type { CompileContext } from './context.js';
import { placesOf } from './currencies.js';

type Raw = Record<string, unknown>;

export interface PositionIR {
  /** A CSV or Parquet file of accounts (account_id, parent_id, currency), read when a run starts. */
  accountsFile: string | null;
  accounts: Account[];
  wallets: Wallet[];
  commitments: Commitment[];
}

export function compilePosition(raw: Raw, cx: CompileContext, baseDir: string, currency: string): PositionIR {
  const accountsRaw = (raw.accounts as Raw | undefined) ?? {};
  const accounts = ((accountsRaw.list as Raw[] | undefined) ?? []).filter(Boolean).map((a) => ({
    id: a.id as string,
    parent: (a.parent as string | undefined) ?? null,
    currency: (a.currency as string | undefined) ?? null,
  }));
  const seenAccounts = new Set<string>();
  for (const [i, a] of accounts.entries()) {
    if (seenAccounts.has(a.id)) cx.error((accountsRaw.list as Raw[])[i]!, 'id', `accounts.list[${i}]`, 'duplicate_account', `account "${a.id}" is listed twice`);
    seenAccounts.add(a.id);
  }

  const restriction = (r: Raw | undefined): Restriction | null => {
    if (!r) return null;
    const out: Restriction = {
      ...(r.charges ? { charges: r.charges as string[] } : {}),
      ...(r.meters ? { meters: r.meters as string[] } : {}),
      ...(r.dimensions ? { dimensions: Object.fromEntries(Object.entries(r.dimensions as Record<string, string[]>)) } : {}),
    };
    return Object.keys(out).length ? out : null;
  };
  const amount = (v: unknown): Decimal => (v === undefined ? ZERO : dec(v as string));
  /** An amount of money in `cur` (reported when it has more places than the currency). */
  const money = (obj: Raw, key: string, where: string, cur: string): Decimal => {
    const d = amount(obj[key]);
    if (d.decimalPlaces() > placesOf(cur)) cx.error(obj, key, where, 'money_places', `${d.toFixed()} has more decimal places than ${cur} has (${placesOf(cur)})`);
    return d;
  };

  const wallets: Wallet[] = [];
  const walletIds = new Set<string>();
  for (const [i, w] of ((raw.wallets as Raw[] | undefined) ?? []).entries()) {
    if (!w) continue;
    const where = `wallets[${i}]`;
    const id = w.id as string;
    if (walletIds.has(id)) cx.error(w, 'id', where, 'duplicate_wallet', `wallet "${id}" is declared twice`);
    walletIds.add(id);
    let top = w.top_up as Raw | undefined;
    if (top && (top.amount === undefined) === (top.to === undefined)) {
      cx.error(top, '', `${where}.top_up`, 'top_up_amount', 'a top-up needs one of `amount` (a fixed sum) or `to` (a target balance)');
      top = undefined;
    }
    if (top && top.below === undefined) top = undefined; // reported as a missing key
    if (w.id === undefined || w.account === undefined) continue;
    const cur = (w.currency as string | undefined) ?? currency;
    money(w, 'overdraft_limit', where, cur);
    money(w, 'child_cap', where, cur);
    for (const k of Object.keys((w.child_caps as Raw | undefined) ?? {})) money(w.child_caps as Raw, k, `${where}.child_caps`, cur);
    if (top) for (const k of ['below', 'amount', 'to']) if (top[k] !== undefined) money(top, k, `${where}.top_up`, cur);
    wallets.push({
      id,
      account: w.account as string,
      currency: cur,
      pool: w.pool === true,
      priority: (w.priority as number | undefined) ?? 0,
      order: (w.order as OrderKey[] | undefined) ?? DEFAULT_ORDER,
      overdraftLimit: amount(w.overdraft_limit),
      onLimit: (w.on_limit as Wallet['onLimit'] | undefined) ?? 'overage',
      appliesTo: restriction(w.applies_to as Raw | undefined),
      childCap: w.child_cap === undefined ? null : dec(w.child_cap as string),
      childCaps: Object.fromEntries(Object.entries((w.child_caps as Record<string, string> | undefined) ?? {}).map(([k, v]) => [k, dec(v)])),
      topUp: top ? { threshold: dec(top.below as string), mode: top.to !== undefined ? 'target' : 'fixed', amount: dec((top.to ?? top.amount) as string), maxPerPeriod: (top.max_per_period as number | undefined) ?? 1 } : null,
    });
  }

  const commitments: Commitment[] = [];
  const commitmentIds = new Set<string>();
  for (const [i, c] of ((raw.commitments as Raw[] | undefined) ?? []).entries()) {
    if (!c || c.id === undefined || c.account === undefined || c.kind === undefined || c.amount === undefined || c.start === undefined || c.end === undefined) continue; // reported as missing keys
    const where = `commitments[${i}]`;
    const id = c.id as string;
    if (commitmentIds.has(id)) cx.error(c, 'id', where, 'duplicate_commitment', `commitment "${id}" is declared twice`);
    commitmentIds.add(id);
    const instant = (key: 'start' | 'end') => {
      const v = parseInstant(String(c[key]));
      if (v === null) cx.error(c, key, where, 'instant', `"${String(c[key])}" is not a date or time (write 2026-11-01 or 2026-11-01T08:00:00Z)`);
      return v ?? '';
    };
    const start = instant('start');
    const end = instant('end');
    if (start && end && end <= start) cx.error(c, 'end', where, 'term', 'the term ends before it starts');
    const fraction = amount(c.rollover);
    if (fraction.gt(1)) cx.error(c, 'rollover', where, 'rollover', 'rollover is a fraction between 0 and 1');
    const cur = (c.currency as string | undefined) ?? currency;
    commitments.push({
      id, account: c.account as string, kind: c.kind as Commitment['kind'], amount: money(c, 'amount', where, cur), currency: cur,
      start, end, appliesTo: c.charges ? { charges: c.charges as string[] } : null, rolloverFraction: fraction,
    });
  }

  return {
    accountsFile: accountsRaw.file ? path.resolve(baseDir, accountsRaw.file as string) : null,
    accounts,
    wallets,
    commitments,
  };
}
