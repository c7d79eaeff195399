/**
 * The position: definitions (accounts, wallets, grants, commitments, rates) and the running balances that
 * ledger entries move. `applyEntry` is the one definition of how an entry changes a balance; the waterfall
 * uses it for the entries it makes, and `tally wallet verify` replays the whole ledger through it.
 */
import { dec, Decimal, ZERO } from '../pricing/index.js';
import type { Account, Commitment, ConversionRate, Entry, Grant, Wallet } from './types.js';

export class Position {
  readonly accounts = new Map<string, Account>();
  readonly wallets = new Map<string, Wallet>();
  readonly grants = new Map<string, Grant>();
  private readonly grantsByWallet = new Map<string, Grant[]>();
  private readonly walletsByAccount = new Map<string, Wallet[]>();
  readonly commitments = new Map<string, Commitment>();
  private readonly commitmentsByAccount = new Map<string, Commitment[]>();
  rates: ConversionRate[] = [];
  /** Grant id → what is left of it. */
  readonly remaining = new Map<string, Decimal>();
  /** Wallet id → how far below zero it is (≥ 0). */
  readonly overdraftUsed = new Map<string, Decimal>();
  readonly commitmentRemaining = new Map<string, Decimal>();
  /** pool wallet ␟ child account ␟ period start → drawn by that child in that period (wallet currency). */
  readonly childUse = new Map<string, Decimal>();
  /** wallet ␟ period start → top-ups made. */
  readonly topUpCount = new Map<string, number>();

  addWallet(w: Wallet): void {
    if (!this.wallets.has(w.id)) this.walletsByAccount.set(w.account, [...(this.walletsByAccount.get(w.account) ?? []), w]);
    else this.walletsByAccount.set(w.account, this.walletsOf(w.account).map((x) => (x.id === w.id ? w : x)));
    this.wallets.set(w.id, w);
  }

  walletsOf(account: string): readonly Wallet[] {
    return this.walletsByAccount.get(account) ?? [];
  }

  /** The account's own commitments (looked up per line: an index, not a scan of every commitment). */
  commitmentsOf(account: string): readonly Commitment[] {
    return this.commitmentsByAccount.get(account) ?? [];
  }

  /**
   * Whether anything could pay a line of the account: a commitment of its own, or a wallet of its own or of an
   * ancestor. Wallets and commitments are not created while lines are applied (top-ups add grants to wallets
   * that exist), so the answer holds for a whole waterfall.
   */
  mayPay(account: string): boolean {
    return this.commitmentsOf(account).length > 0 || this.walletsOf(account).length > 0 || this.ancestors(account).some((a) => this.walletsOf(a).length > 0);
  }

  addGrant(g: Grant): void {
    if (!this.grants.has(g.id)) {
      const list = this.grantsByWallet.get(g.wallet) ?? [];
      list.push(g);
      this.grantsByWallet.set(g.wallet, list);
    }
    this.grants.set(g.id, g);
    if (!this.remaining.has(g.id)) this.remaining.set(g.id, ZERO);
  }

  addCommitment(c: Commitment): void {
    const previous = this.commitments.get(c.id);
    if (previous) this.commitmentsByAccount.set(previous.account, this.commitmentsOf(previous.account).filter((x) => x.id !== c.id));
    this.commitmentsByAccount.set(c.account, [...this.commitmentsOf(c.account), c]);
    this.commitments.set(c.id, c);
    if (!this.commitmentRemaining.has(c.id)) this.commitmentRemaining.set(c.id, ZERO);
  }

  /** Moves the balances an entry touches. Grants, wallets and commitments must be defined first. */
  applyEntry(e: Entry): void {
    if (e.commitment !== null) {
      this.commitmentRemaining.set(e.commitment, (this.commitmentRemaining.get(e.commitment) ?? ZERO).plus(e.amount));
      return;
    }
    const wallet = e.wallet!;
    if (e.grant !== null) {
      this.remaining.set(e.grant, (this.remaining.get(e.grant) ?? ZERO).plus(e.amount));
    } else {
      // Entries with a wallet and no grant move the overdraft: a draw-down past the grants (negative) or its repayment.
      this.overdraftUsed.set(wallet, (this.overdraftUsed.get(wallet) ?? ZERO).minus(e.amount));
    }
    if ((e.type === 'drawdown' || e.type === 'overdraft') && e.periodStart !== null) {
      const w = this.wallets.get(wallet);
      if (w?.pool) {
        const key = childKey(wallet, e.account, e.periodStart);
        this.childUse.set(key, (this.childUse.get(key) ?? ZERO).minus(e.amount));
      }
    }
    if (e.type === 'topup' && e.periodStart !== null) {
      const key = `${wallet}\u241f${e.periodStart}`;
      this.topUpCount.set(key, (this.topUpCount.get(key) ?? 0) + 1);
    }
  }

  grantsOf(walletId: string): readonly Grant[] {
    return this.grantsByWallet.get(walletId) ?? [];
  }

  /** Grants of the wallet usable at `at`: effective, not expired, something left. */
  usableGrants(walletId: string, at: string): Grant[] {
    const out: Grant[] = [];
    for (const g of this.grantsOf(walletId)) {
      if (g.effectiveAt > at || (g.expiresAt !== null && g.expiresAt <= at)) continue;
      if (this.remaining.get(g.id)!.gt(0)) out.push(g);
    }
    return out;
  }

  /** What the wallet can pay at `at`: usable grants minus the overdraft already used. */
  available(walletId: string, at: string): Decimal {
    let sum = ZERO.minus(this.overdraftUsed.get(walletId) ?? ZERO);
    for (const g of this.usableGrants(walletId, at)) sum = sum.plus(this.remaining.get(g.id)!);
    return sum;
  }

  /** The ledger balance: every grant's remainder (expired or not, until its expiry is recorded) minus overdraft. */
  balance(walletId: string): Decimal {
    let sum = ZERO.minus(this.overdraftUsed.get(walletId) ?? ZERO);
    for (const g of this.grantsOf(walletId)) sum = sum.plus(this.remaining.get(g.id)!);
    return sum;
  }

  /** Ancestors of an account, nearest first (a cycle in the hierarchy stops the walk). */
  ancestors(account: string): string[] {
    const out: string[] = [];
    const seen = new Set([account]);
    for (let p = this.accounts.get(account)?.parent ?? null; p !== null && !seen.has(p); p = this.accounts.get(p)?.parent ?? null) {
      out.push(p);
      seen.add(p);
    }
    return out;
  }

  /** The rate of a virtual currency in `fiat` at `at`: the latest effective one. */
  rate(currency: string, fiat: string, at: string): Decimal | null {
    let best: ConversionRate | null = null;
    for (const r of this.rates) {
      if (r.currency !== currency || r.fiat !== fiat || r.effectiveAt > at) continue;
      if (best === null || r.effectiveAt > best.effectiveAt) best = r;
    }
    return best ? dec(best.rate) : null;
  }
}

export function childKey(wallet: string, account: string, periodStart: string): string {
  return `${wallet}\u241f${account}\u241f${periodStart}`;
}

export { Decimal };
