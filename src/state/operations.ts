/**
 * What `tally wallet`, `tally commit` and `tally account` do to the state: each operation checks its input,
 * then makes its change as one transaction of definitions plus ledger entries. Nothing is ever updated or
 * deleted: a void is a reversing entry.
 */
import { UsageError } from '../cli/errors.js';
import { dec, Decimal, ZERO } from '../pricing/index.js';
import { minorUnitsOf } from '../ruleset/currencies.js';
import { Position } from '../wallet/position.js';
import { repayOverdraft } from '../wallet/waterfall.js';
import type { Account, Commitment, Entry, Grant, Wallet } from '../wallet/types.js';
import { DEFAULT_ORDER } from '../wallet/types.js';
import { verifyLedger } from '../wallet/verify.js';
import type { StateStore } from './store.js';

/** Decimal places an amount of `currency` may have: the ISO minor units for fiat codes, 12 for virtual currencies. */
export function placesOf(currency: string): number {
  return /^[A-Z]{3}$/.test(currency) ? minorUnitsOf(currency) : 12;
}

export function parseAmount(text: string, what: string, currency: string, opts: { positive?: boolean } = {}): Decimal {
  let d: Decimal;
  try {
    if (!/^-?\d+(\.\d+)?$/.test(text.trim())) throw new Error();
    d = dec(text.trim());
  } catch {
    throw new UsageError(`${what}: "${text}" is not a decimal number`, 'write it like 100 or 12.50');
  }
  if (opts.positive && d.lte(0)) throw new UsageError(`${what} must be more than 0, not ${text}`);
  if (d.decimalPlaces() > placesOf(currency)) throw new UsageError(`${what}: ${text} has more decimal places than ${currency} has (${placesOf(currency)})`);
  return d;
}

/** The default wallet of an account: id = the account, in the account's currency (or the one given). */
export function defaultWallet(account: string, currency: string): Wallet {
  return { id: account, account, currency, pool: false, priority: 0, order: DEFAULT_ORDER, overdraftLimit: ZERO, onLimit: 'overage', appliesTo: null, childCap: null, childCaps: {}, topUp: null };
}

export async function createWallet(store: StateStore, w: Wallet): Promise<void> {
  const pos = await store.loadPosition();
  if (pos.wallets.has(w.id)) throw new UsageError(`wallet ${w.id} already exists`, 'wallets are never changed in place; create one under another id');
  await store.transaction(async () => {
    await store.insertWallet(w);
    await store.recordTxn(`wallet:${w.id}`, 'wallet', { wallet: w.id, account: w.account });
  });
}

export interface GrantRequest {
  account: string;
  wallet?: string;
  currency?: string;
  id?: string;
  amount: string;
  kind: Grant['kind'];
  priority: number;
  effectiveAt: string;
  expiresAt: string | null;
  costBasis?: string;
}

/** Adds grants (one, or a whole import) in one transaction; a grant into a wallet with an overdraft repays it first. */
export async function addGrants(store: StateStore, requests: readonly GrantRequest[], origin: string, where: (i: number) => string = () => ''): Promise<Grant[]> {
  const pos = await store.loadPosition();
  const newWallets: Wallet[] = [];
  const grants: Grant[] = [];
  const entries: Entry[] = [];
  let seq = (await store.rows(`SELECT count(*) FROM grants`))[0]![0];
  for (const [i, r] of requests.entries()) {
    const at = where(i);
    let w = r.wallet ? pos.wallets.get(r.wallet) : pos.wallets.get(r.account);
    if (!w) {
      if (r.wallet && r.wallet !== r.account) throw new UsageError(`${at}wallet ${r.wallet} does not exist`, 'create it with `tally wallet create`');
      w = defaultWallet(r.account, r.currency ?? pos.accounts.get(r.account)?.currency ?? 'USD');
      pos.addWallet(w);
      newWallets.push(w);
    }
    if (r.currency && r.currency !== w.currency) throw new UsageError(`${at}wallet ${w.id} holds ${w.currency}, not ${r.currency}`);
    const amount = parseAmount(r.amount, `${at}amount`, w.currency, { positive: true });
    const id = r.id ?? `grant-${String(Number(seq) + i + 1).padStart(6, '0')}`;
    if (pos.grants.has(id)) throw new UsageError(`${at}grant ${id} already exists`, 'give each grant its own id');
    if (r.expiresAt !== null && r.expiresAt <= r.effectiveAt) throw new UsageError(`${at}grant ${id} expires before it takes effect`);
    const g: Grant = { id, wallet: w.id, amount, kind: r.kind, priority: r.priority, effectiveAt: r.effectiveAt, expiresAt: r.expiresAt, costBasis: r.costBasis ? parseAmount(r.costBasis, `${at}cost basis`, "cost") : null };
    pos.addGrant(g);
    const e: Entry = { type: 'grant', at: g.effectiveAt, account: w.account, wallet: w.id, grant: g.id, commitment: null, lineId: null, periodStart: null, amount, currency: w.currency, fiatAmount: null, fiatCurrency: null };
    pos.applyEntry(e);
    entries.push(e, ...repayOverdraft(pos, g, g.effectiveAt));
    grants.push(g);
  }
  await store.transaction(async () => {
    for (const w of newWallets) await store.insertWallet(w);
    for (const g of grants) await store.insertGrant(g, origin);
    const txn = `grants:${grants[0]!.id}:${grants.length}`;
    await store.recordTxn(txn, 'grant', { grants: grants.map((g) => g.id), origin });
    await store.appendEntries(txn, entries);
  });
  await store.checkpoint();
  return grants;
}

/** Voids what is left of a grant with a reversing entry; the grant and its history stay. */
export async function voidGrant(store: StateStore, grantId: string, at: string): Promise<Decimal> {
  const pos = await store.loadPosition();
  const g = pos.grants.get(grantId);
  if (!g) throw new UsageError(`grant ${grantId} does not exist`, 'see the grants with `tally wallet ledger ACCOUNT`');
  const left = pos.remaining.get(grantId) ?? ZERO;
  if (left.lte(0)) throw new UsageError(`grant ${grantId} holds nothing to void`);
  const w = pos.wallets.get(g.wallet)!;
  const txn = `void:${grantId}`;
  if (await store.txnExists(txn)) throw new UsageError(`grant ${grantId} was already voided`);
  await store.transaction(async () => {
    await store.recordTxn(txn, 'void', { grant: grantId });
    await store.appendEntries(txn, [{ type: 'void', at, account: w.account, wallet: w.id, grant: g.id, commitment: null, lineId: null, periodStart: null, amount: left.neg(), currency: w.currency, fiatAmount: null, fiatCurrency: null }]);
  });
  await store.checkpoint();
  return left;
}

export async function addCommitment(store: StateStore, c: Commitment): Promise<void> {
  const pos = await store.loadPosition();
  if (pos.commitments.has(c.id)) throw new UsageError(`commitment ${c.id} already exists`, 'give it another --id');
  if (c.end <= c.start) throw new UsageError(`commitment ${c.id} ends before it starts`);
  await store.transaction(async () => {
    await store.insertCommitment(c, 'command');
    const txn = `commitment:${c.id}`;
    await store.recordTxn(txn, 'commitment', { commitment: c.id });
    if (c.kind === 'prepaid') {
      await store.appendEntries(txn, [{ type: 'commitment', at: c.start, account: c.account, wallet: null, grant: null, commitment: c.id, lineId: null, periodStart: null, amount: c.amount, currency: c.currency, fiatAmount: null, fiatCurrency: null }]);
    }
  });
  await store.checkpoint();
}

export async function setAccounts(store: StateStore, accounts: readonly Account[]): Promise<void> {
  const pos = await store.loadPosition();
  const merged = new Map(pos.accounts);
  for (const a of accounts) merged.set(a.id, a);
  // A cycle in the hierarchy would make an account its own ancestor.
  for (const a of accounts) {
    const seen = new Set<string>([a.id]);
    for (let p = a.parent; p !== null; p = merged.get(p)?.parent ?? null) {
      if (seen.has(p)) throw new UsageError(`account ${a.id}: parent ${a.parent} makes a cycle in the hierarchy`);
      seen.add(p);
    }
  }
  await store.transaction(async () => {
    for (const a of accounts) await store.upsertAccount(a);
  });
  await store.checkpoint();
}

export async function setRate(store: StateStore, currency: string, fiat: string, rate: Decimal, effectiveAt: string): Promise<void> {
  await store.transaction(() => store.insertRate(currency, fiat, rate, effectiveAt));
  await store.checkpoint();
}

export interface BalanceRow {
  kind: 'wallet' | 'commitment';
  id: string;
  account: string;
  currency: string;
  balance: Decimal;
  available: Decimal;
  overdraft_used: Decimal;
}

/** The position rebuilt from the definitions and the entries `where` selects (balances before them ignored). */
export async function replayPosition(store: StateStore, where: string): Promise<Position> {
  const defs = await store.loadPosition();
  const pos = new Position();
  for (const a of defs.accounts.values()) pos.accounts.set(a.id, a);
  for (const w of defs.wallets.values()) pos.addWallet(w);
  for (const g of defs.grants.values()) pos.addGrant(g);
  for (const c of defs.commitments.values()) pos.addCommitment(c);
  pos.rates = defs.rates;
  for (const e of await store.entries(where)) pos.applyEntry(e);
  return pos;
}

/** Balances at `at` (default: now, with every entry): the ledger replayed up to that instant. */
export async function balances(store: StateStore, account: string | null, at: string | null): Promise<BalanceRow[]> {
  const pos = await replayPosition(store, at === null ? 'TRUE' : `occurred_at <= TIMESTAMP '${at}'`);
  return balanceRows(pos, account, at ?? `${new Date().toISOString().slice(0, 19).replace('T', ' ')}.000000`);
}

/** One row per wallet and prepaid commitment (of `account`, or all): ledger balance, and what is usable at `when`. */
export function balanceRows(pos: Position, account: string | null, when: string): BalanceRow[] {
  const rows: BalanceRow[] = [];
  for (const w of [...pos.wallets.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (account !== null && w.account !== account) continue;
    rows.push({ kind: 'wallet', id: w.id, account: w.account, currency: w.currency, balance: pos.balance(w.id), available: pos.available(w.id, when), overdraft_used: pos.overdraftUsed.get(w.id) ?? ZERO });
  }
  for (const c of [...pos.commitments.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (c.kind !== 'prepaid' || (account !== null && c.account !== account)) continue;
    const left = pos.commitmentRemaining.get(c.id) ?? ZERO;
    const inForce = c.start <= when && when < c.end;
    rows.push({ kind: 'commitment', id: c.id, account: c.account, currency: c.currency, balance: left, available: inForce ? left : ZERO, overdraft_used: ZERO });
  }
  return rows;
}

/** `tally wallet verify`: every balance recomputed from the ledger in JavaScript, against SQL's sums. */
export async function verifyState(store: StateStore): Promise<string[]> {
  const defs = await store.loadPosition();
  return verifyLedger(defs, await store.entries(), await store.reportedBalances());
}
