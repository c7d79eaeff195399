/**
 * What `tally wallet`, `tally commit` and `tally account` do to the state: each operation checks its input,
 * then makes its change as one transaction of definitions plus ledger entries. Nothing is ever updated or
 * deleted: a void is a reversing entry.
 */
import { UsageError } from '../cli/errors.js';
import { dec, Decimal, ZERO } from '../pricing/index.js';
import { placesOf } from '../ruleset/currencies.js';
import { Position } from '../wallet/position.js';
import { repayOverdraft } from '../wallet/waterfall.js';
import type { Account, Commitment, Entry, Grant, Wallet } from '../wallet/types.js';
import { DEFAULT_ORDER } from '../wallet/types.js';
import { verifyLedger } from '../wallet/verify.js';
import type { StateStore } from './store.js';

export { placesOf };

export function parseAmount(text: string, what: string, currency: string, opts: { positive?: boolean; nonNegative?: boolean } = {}): Decimal {
  let d: Decimal;
  try {
    if (!/^-?\d+(\.\d+)?$/.test(text.trim())) throw new Error();
    d = dec(text.trim());
  } catch {
    throw new UsageError(`${what}: "${text}" is not a decimal number`, 'write it like 100 or 12.50');
  }
  if (opts.positive && d.lte(0)) throw new UsageError(`${what} must be more than 0, not ${text}`);
  if (opts.nonNegative && d.lt(0)) throw new UsageError(`${what} cannot be negative (${text})`);
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
    // A grant usable now pays back its wallet's overdraft first; one effective later leaves it to the next grant or top-up.
    entries.push(e, ...(g.effectiveAt <= nowInstant() ? repayOverdraft(pos, g, g.effectiveAt) : []));
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

/** Adds a conversion rate from an instant on. Rates are never changed: a correction is a new rate from a later instant. */
export async function setRate(store: StateStore, currency: string, fiat: string, rate: Decimal, effectiveAt: string): Promise<void> {
  const pos = await store.loadPosition();
  const same = pos.rates.find((r) => r.currency === currency && r.fiat === fiat && r.effectiveAt === effectiveAt);
  if (same) {
    if (same.rate.eq(rate)) return;
    throw new UsageError(`a rate of ${currency} in ${fiat} from ${effectiveAt} already exists (${same.rate.toFixed()})`, 'rates are never changed: add the new rate from a later instant');
  }
  await store.transaction(async () => {
    await store.insertRate(currency, fiat, rate, effectiveAt);
    await store.recordTxn(`rate:${currency}:${fiat}:${effectiveAt}`, 'rate', { currency, fiat, rate: rate.toFixed(), effective_at: effectiveAt });
  });
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
  return balanceRows(pos, account, at ?? nowInstant());
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

/**
 * `tally wallet verify`: every balance recomputed from the ledger in JavaScript against SQL's sums, and the
 * ledger held against the records it must agree with: each grant's and prepaid commitment's amount, each
 * line's breakdown, pool caps and top-up limits.
 */
export async function verifyState(store: StateStore): Promise<string[]> {
  const defs = await store.loadPosition();
  const problems = verifyLedger(defs, await store.entries(), await store.reportedBalances());
  for (const [id, amount, funded] of await store.rows(`SELECT g.grant_id, CAST(g.amount AS VARCHAR), CAST(coalesce(sum(e.amount), 0) AS VARCHAR)
      FROM grants g LEFT JOIN entries e ON e.grant_id = g.grant_id AND e.type IN ('grant', 'topup') GROUP BY ALL HAVING g.amount <> coalesce(sum(e.amount), 0) ORDER BY 1`)) {
    problems.push(`grant ${id} is for ${dec(amount!).toFixed()} but the ledger funded it with ${dec(funded!).toFixed()}`);
  }
  for (const [id, amount, funded] of await store.rows(`SELECT c.commitment_id, CAST(c.amount AS VARCHAR), CAST(coalesce(sum(e.amount), 0) AS VARCHAR)
      FROM commitments c LEFT JOIN entries e ON e.commitment_id = c.commitment_id AND e.type = 'commitment' WHERE c.kind = 'prepaid'
      GROUP BY ALL HAVING c.amount <> coalesce(sum(e.amount), 0) ORDER BY 1`)) {
    problems.push(`prepaid commitment ${id} is for ${dec(amount!).toFixed()} but the ledger funded it with ${dec(funded!).toFixed()}`);
  }
  for (const [txn, line] of await store.rows(`WITH e AS (
        SELECT txn_id, line_id,
          coalesce(-sum(fiat_amount) FILTER (WHERE type IN ('drawdown', 'overdraft')), 0) AS credits,
          coalesce(-sum(fiat_amount) FILTER (WHERE type = 'commitment_drawdown'), 0) AS commitment
        FROM entries WHERE line_id IS NOT NULL GROUP BY ALL)
      SELECT l.txn_id, l.line_id FROM lines l LEFT JOIN e USING (txn_id, line_id)
      WHERE coalesce(e.credits, 0) <> l.covered_by_credits OR coalesce(e.commitment, 0) <> l.covered_by_commitment
        OR (NOT l.held AND l.amount <> l.covered_by_commitment + l.covered_by_credits + l.overage)
        OR (l.held AND (l.covered_by_commitment <> 0 OR l.covered_by_credits <> 0 OR l.overage <> 0))
      ORDER BY 1, 2 LIMIT 20`)) {
    problems.push(`line ${line} of ${txn}: its breakdown does not match the ledger entries drawn for it`);
  }
  const replayed = await replayPosition(store, 'TRUE');
  for (const [key, used] of replayed.childUse) {
    const [wallet, account, period] = key.split('\u241f') as [string, string, string];
    const w = replayed.wallets.get(wallet)!;
    const cap = w.account === account ? null : (w.childCaps[account] ?? w.childCap);
    if (cap !== null && used.gt(cap)) problems.push(`pool ${wallet}: ${account} drew ${used.toFixed()} in the period from ${period}, over its cap ${cap.toFixed()}`);
  }
  for (const [key, n] of replayed.topUpCount) {
    const [wallet, period] = key.split('\u241f') as [string, string];
    const max = replayed.wallets.get(wallet)!.topUp?.maxPerPeriod ?? 0;
    if (n > max) problems.push(`wallet ${wallet}: ${n} top-ups in the period from ${period}, over its limit ${max}`);
  }
  return problems;
}

/** Keeps the balances a run or close reported, so a repeat rewrites exactly them (call inside its transaction). */
export async function saveBalances(store: StateStore, txnId: string, rows: readonly BalanceRow[]): Promise<void> {
  await store.appendRows('txn_balances', rows.map((b, i) => [txnId, String(i), b.kind, b.id, b.account, b.currency, b.balance.toFixed(), b.available.toFixed(), b.overdraft_used.toFixed()]));
}

export async function loadBalances(store: StateStore, txnId: string): Promise<BalanceRow[]> {
  const rows = await store.rows(`SELECT kind, id, account_id, currency, CAST(balance AS VARCHAR), CAST(available AS VARCHAR), CAST(overdraft_used AS VARCHAR)
    FROM txn_balances WHERE txn_id = '${txnId.replace(/'/g, "''")}' ORDER BY ordinal`);
  return rows.map((r) => ({ kind: r[0] as BalanceRow['kind'], id: r[1]!, account: r[2]!, currency: r[3]!, balance: dec(r[4]!), available: dec(r[5]!), overdraft_used: dec(r[6]!) }));
}

/** The wall-clock instant, for commands that act "now" (never for rating, whose clock is the events'). */
export function nowInstant(): string {
  return `${new Date().toISOString().slice(0, 19).replace('T', ' ')}.000000`;
}
