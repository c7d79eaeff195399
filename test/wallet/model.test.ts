/**
 * Model-based test of the wallet engine: random sequences of grants, charge runs, period closes and voids are
 * applied to the real engine (a Position with runWaterfall and closePeriod) and, side by side, to a deliberately
 * simple model that keeps nothing but the grant and commitment definitions and the list of every ledger entry
 * emitted so far. Every balance the model needs is a plain sum of that list by grant, wallet, commitment and type.
 *
 * The model predicts, from its sums alone and without any draw-down ordering, what the engine must do:
 * - a line: covered by commitments = min(amount, what the account's prepaid commitments in force hold);
 *   covered by credits = min(the rest, Σ over paying wallets of min(child cap room, usable grants + overdraft room));
 *   the rest is overage, or the whole line is held (nothing drawn) when a paying wallet holds at its limit;
 * - top-ups after each line (count per wallet and period, threshold, fixed or target amount, overdraft repaid first);
 * - a close: the expiry entries of expired grants, and the rollover and breakage of ended prepaid commitments.
 * and after every step it checks conservation against the engine's state and verifyLedger.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dec, Decimal, ZERO } from '../../src/pricing/index.js';
import { Position } from '../../src/wallet/position.js';
import { repayOverdraft, runWaterfall } from '../../src/wallet/waterfall.js';
import { closePeriod, type ClosePeriod } from '../../src/wallet/close.js';
import { verifyLedger } from '../../src/wallet/verify.js';
import { instant } from '../../src/wallet/instant.js';
import type { Commitment, Entry, EntryType, Grant, OrderKey, Wallet, WaterfallLine } from '../../src/wallet/types.js';
import { DEFAULT_ORDER, GRANT_KINDS, ORDER_KEYS } from '../../src/wallet/types.js';

// ---------------------------------------------------------------------------------------------------------------
// Helpers in the style of waterfall.test.ts.

const t = (s: string) => instant(s, 'test');

function wallet(id: string, account: string, extra: Partial<Wallet> = {}): Wallet {
  return { id, account, currency: 'USD', pool: false, priority: 0, order: DEFAULT_ORDER, overdraftLimit: ZERO, onLimit: 'overage', appliesTo: null, childCap: null, childCaps: {}, topUp: null, ...extra };
}

/** Defines a grant and records it with a 'grant' entry, exactly as waterfall.test.ts does; returns that entry. */
function grant(pos: Position, id: string, walletId: string, amount: string, extra: Partial<Omit<Grant, 'amount'>> = {}): Entry {
  const g: Grant = { id, wallet: walletId, amount: dec(amount), kind: 'purchased', priority: 0, effectiveAt: t('2026-01-01'), expiresAt: null, costBasis: null, ...extra };
  pos.addGrant(g);
  const w = pos.wallets.get(walletId)!;
  const e: Entry = { type: 'grant', at: g.effectiveAt, account: w.account, wallet: walletId, grant: id, commitment: null, lineId: null, periodStart: null, amount: g.amount, currency: w.currency, fiatAmount: null, fiatCurrency: null };
  pos.applyEntry(e);
  return e;
}

let lineNo = 0;
function line(account: string, amount: string, at: string, extra: Partial<WaterfallLine> = {}): WaterfallLine {
  lineNo++;
  return { lineId: `L${String(lineNo).padStart(4, '0')}`, account, charge: 'api', meter: 'calls', dims: {}, at, periodStart: monthStart(at), currency: 'USD', minorUnits: 2, amount: dec(amount), ...extra };
}

/** Whole cents → a decimal string (generated money stays integer so counterexamples print plainly). */
const cents = (n: number): string => dec(n).div(100).toFixed();

// Time: whole hours from 2026-11-01 00:00 UTC (a coarse grid, so lines often fall exactly on a grant's effective
// or expiry instant). Lines run through November and December 2026.
const T0 = Date.UTC(2026, 10, 1);
const DEC1 = 30 * 24;
const LAST = 61 * 24 - 1; // 2026-12-31 23:00
const JAN1 = 61 * 24;
const at = (hour: number): string => t(new Date(T0 + hour * 3_600_000).toISOString());
const monthStart = (instantText: string): string => `${instantText.slice(0, 7)}-01 00:00:00.000000`;

const MONTHS: ClosePeriod[] = [
  { label: '2026-10', start: t('2026-10-01'), end: t('2026-11-01') },
  { label: '2026-11', start: t('2026-11-01'), end: t('2026-12-01') },
  { label: '2026-12', start: t('2026-12-01'), end: t('2027-01-01') },
];
/** Month boundaries for commitment terms (index 0 = 2026-10-01). */
const BOUNDS = ['2026-10-01', '2026-11-01', '2026-12-01', '2027-01-01', '2027-02-01', '2027-03-01', '2027-04-01'].map(t);

const PARENT: Record<string, string | null> = { P: null, A: 'P', B: 'P', C: 'P' };

// ---------------------------------------------------------------------------------------------------------------
// Generators.

const walletArb = fc.record({
  overdraft: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2000 })),
  onLimit: fc.constantFrom<'overage' | 'hold'>('overage', 'overage', 'hold'),
  priority: fc.integer({ min: 0, max: 1 }),
  order: fc.oneof(fc.constant<OrderKey[]>(DEFAULT_ORDER), fc.shuffledSubarray<OrderKey>([...ORDER_KEYS], { minLength: 1 })),
  restricted: fc.constantFrom(false, false, false, true),
  topUp: fc.option(
    fc.record({
      mode: fc.constantFrom<'fixed' | 'target'>('fixed', 'target'),
      threshold: fc.integer({ min: 0, max: 3000 }),
      amount: fc.integer({ min: 100, max: 6000 }),
      maxPerPeriod: fc.integer({ min: 1, max: 2 }),
    }),
    { nil: null, freq: 2 },
  ),
});

const setupArb = fc.record({
  nWallets: fc.integer({ min: 2, max: 3 }),
  wallets: fc.tuple(walletArb, walletArb, walletArb),
  /** Owner of the second wallet; the third is the parent's. */
  secondOwner: fc.constantFrom('B', 'P'),
  /** The last wallet is a pool of the parent P (drawn by A, B, C and P). */
  pool: fc.boolean(),
  childCap: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: null }),
  capB: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: null }),
  commitment: fc.option(
    fc.record({
      account: fc.constantFrom('A', 'B', 'P'),
      amount: fc.integer({ min: 0, max: 10000 }),
      startMonth: fc.integer({ min: 0, max: 2 }),
      months: fc.integer({ min: 1, max: 2 }),
      fraction: fc.constantFrom('0', '0.5', '1', '0.37'),
    }),
    { nil: null, freq: 3 },
  ),
});

const grantStep = fc.record({
  kind: fc.constant('grant' as const),
  wallet: fc.nat(2),
  amount: fc.integer({ min: 1, max: 10000 }),
  grantKind: fc.constantFrom(...GRANT_KINDS),
  priority: fc.integer({ min: 0, max: 3 }),
  /** effectiveAt relative to the clock, in hours: up to 3 days before or after. */
  effOffset: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: -72, max: 72 })),
  /** Hours from effective to expiry: often short, so lines land on and after expiries. */
  expiresAfter: fc.option(fc.oneof(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 20 * 24 })), { nil: null, freq: 3 }),
  /** Also repay the wallet's overdraft from the new grant (repayOverdraft). */
  repay: fc.boolean(),
});

const chargeStep = fc.record({
  kind: fc.constant('charge' as const),
  advance: fc.integer({ min: 0, max: 96 }),
  lines: fc.array(
    fc.record({
      account: fc.constantFrom('A', 'B', 'P', 'C'),
      amount: fc.integer({ min: 0, max: 6000 }),
      charge: fc.constantFrom('api', 'api', 'storage'),
      gap: fc.integer({ min: 0, max: 12 }),
      /** Instead of the gap, move to the next instant a grant becomes effective or expires (exactly on it). */
      snap: fc.constantFrom(false, false, false, true),
    }),
    { minLength: 1, maxLength: 4 },
  ),
});

/** Close an ended month (pick among them; closing an earlier one again must change nothing); jump: first move to Dec 1. */
const closeStep = fc.record({ kind: fc.constant('close' as const), jump: fc.boolean(), pick: fc.nat(2) });
const voidStep = fc.record({ kind: fc.constant('void' as const), grant: fc.nat(40) });

const stepsArb = fc.array(
  fc.oneof({ arbitrary: grantStep, weight: 4 }, { arbitrary: chargeStep, weight: 4 }, { arbitrary: closeStep, weight: 1 }, { arbitrary: voidStep, weight: 1 }),
  { minLength: 1, maxLength: 40 },
);

type Setup = typeof setupArb extends fc.Arbitrary<infer S> ? S : never;
type Step = typeof stepsArb extends fc.Arbitrary<(infer S)[]> ? S : never;

// ---------------------------------------------------------------------------------------------------------------
// The model: definitions plus the list of entries, and sums over that list.

interface MGrant { id: string; wallet: string; amount: Decimal; effectiveAt: string; expiresAt: string | null }
interface MCommitment { id: string; account: string; amount: Decimal; startIdx: number; endIdx: number; fraction: Decimal }

const add = (m: Map<string, Decimal>, k: string, v: Decimal) => m.set(k, (m.get(k) ?? ZERO).plus(v));
const get = (m: Map<string, Decimal>, k: string) => m.get(k) ?? ZERO;

/** Sums of the entry list, by grant, wallet and type, commitment and type, pool child and period. One pass. */
class Sums {
  readonly grant = new Map<string, Decimal>();
  readonly walletType = new Map<string, Decimal>();
  readonly overdraft = new Map<string, Decimal>();
  readonly commitment = new Map<string, Decimal>();
  readonly commitmentType = new Map<string, Decimal>();
  readonly childUse = new Map<string, Decimal>();
  readonly topUps = new Map<string, number>();

  constructor(entries: readonly Entry[]) {
    for (const e of entries) {
      if (e.grant !== null) add(this.grant, e.grant, e.amount);
      if (e.commitment !== null) {
        add(this.commitment, e.commitment, e.amount);
        add(this.commitmentType, `${e.commitment}|${e.type}`, e.amount);
      }
      if (e.wallet !== null) {
        add(this.walletType, `${e.wallet}|${e.type}`, e.amount);
        if (e.grant === null) add(this.overdraft, e.wallet, e.amount.neg());
        if (e.type === 'drawdown' || e.type === 'overdraft') add(this.childUse, `${e.wallet}|${e.account}|${e.periodStart}`, e.amount.neg());
        if (e.type === 'topup') this.topUps.set(`${e.wallet}|${e.periodStart}`, (this.topUps.get(`${e.wallet}|${e.periodStart}`) ?? 0) + 1);
      }
    }
  }

  byType(walletId: string, types: readonly EntryType[]): Decimal {
    return types.reduce((s, ty) => s.plus(get(this.walletType, `${walletId}|${ty}`)), ZERO);
  }
}

class Model {
  readonly entries: Entry[] = [];
  readonly grants = new Map<string, MGrant>();
  readonly commitments = new Map<string, MCommitment>();
  constructor(readonly wallets: readonly Wallet[]) {}

  sums(): Sums {
    return new Sums(this.entries);
  }

  wallet(id: string): Wallet {
    return this.wallets.find((w) => w.id === id)!;
  }

  usableAt(g: MGrant, when: string): boolean {
    return g.effectiveAt <= when && (g.expiresAt === null || when < g.expiresAt);
  }

  /** Σ what is left of the wallet's grants usable at `when`. */
  usable(s: Sums, walletId: string, when: string): Decimal {
    let sum = ZERO;
    for (const g of this.grants.values()) {
      if (g.wallet !== walletId || !this.usableAt(g, when)) continue;
      const left = get(s.grant, g.id);
      if (left.gt(0)) sum = sum.plus(left);
    }
    return sum;
  }

  /** The account's own wallets and its parent's pools that may pay the line (as a set: the order does not matter here). */
  paying(l: WaterfallLine): Wallet[] {
    const ok = (w: Wallet) => w.appliesTo === null || (w.appliesTo.charges ?? []).includes(l.charge);
    const parent = PARENT[l.account];
    return this.wallets.filter((w) => ok(w) && (w.account === l.account || (w.pool && w.account === parent)));
  }

  capRoom(s: Sums, w: Wallet, l: WaterfallLine): Decimal | null {
    if (!w.pool || w.account === l.account) return null;
    const cap = w.childCaps[l.account] ?? w.childCap;
    return cap === null ? null : cap.minus(get(s.childUse, `${w.id}|${l.account}|${l.periodStart}`));
  }

  /** What the line must be covered by, from the sums alone. */
  predict(l: WaterfallLine): { c: Decimal; cr: Decimal; o: Decimal; held: boolean } {
    const s = this.sums();
    if (l.amount.lte(0)) return { c: ZERO, cr: ZERO, o: l.amount, held: false };
    let commitmentRoom = ZERO;
    for (const c of this.commitments.values()) {
      if (c.account !== l.account || BOUNDS[c.startIdx]! > l.at || l.at >= BOUNDS[c.endIdx]!) continue;
      commitmentRoom = commitmentRoom.plus(Decimal.max(get(s.commitment, c.id), ZERO));
    }
    let creditRoom = ZERO;
    const paying = this.paying(l);
    for (const w of paying) {
      let room = this.usable(s, w.id, l.at).plus(w.overdraftLimit.minus(get(s.overdraft, w.id)));
      const cap = this.capRoom(s, w, l);
      if (cap !== null) room = Decimal.min(room, Decimal.max(cap, ZERO));
      creditRoom = creditRoom.plus(room);
    }
    const c = Decimal.min(l.amount, commitmentRoom);
    const cr = Decimal.min(l.amount.minus(c), creditRoom);
    const o = l.amount.minus(c).minus(cr);
    if (o.gt(0) && paying.some((w) => w.onLimit === 'hold')) return { c: ZERO, cr: ZERO, o: ZERO, held: true };
    return { c, cr, o, held: false };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Assertions.

function same(a: Decimal, b: Decimal, what: string): void {
  expect(a.eq(b), `${what}: ${a.toFixed()} ≠ ${b.toFixed()}`).toBe(true);
}

/** Invariants 1, 2, 6 and per-commitment conservation, after every step. */
function checkAll(pos: Position, model: Model, where: string): void {
  const s = model.sums();
  for (const e of model.entries) {
    if (e.grant !== null) expect(model.grants.has(e.grant), `${where}: entry of a grant the model does not know: ${e.grant}`).toBe(true);
    if (e.commitment !== null) expect(model.commitments.has(e.commitment), `${where}: entry of an unknown commitment ${e.commitment}`).toBe(true);
  }
  expect([...pos.grants.keys()].sort(), `${where}: grant definitions`).toEqual([...model.grants.keys()].sort());
  // 2. No grant's remaining is negative; the model's sum is what the engine holds.
  for (const g of model.grants.values()) {
    const left = get(s.grant, g.id);
    expect(left.gte(0), `${where}: grant ${g.id} negative: ${left.toFixed()}`).toBe(true);
    same(pos.remaining.get(g.id) ?? ZERO, left, `${where}: remaining of ${g.id} (engine vs ledger)`);
  }
  for (const w of model.wallets) {
    // 2. The overdraft stays within [0, limit].
    const used = get(s.overdraft, w.id);
    same(pos.overdraftUsed.get(w.id) ?? ZERO, used, `${where}: overdraft of ${w.id} (engine vs ledger)`);
    expect(used.gte(0) && used.lte(w.overdraftLimit), `${where}: overdraft of ${w.id} is ${used.toFixed()}, limit ${w.overdraftLimit.toFixed()}`).toBe(true);
    // 1. Granted = −(draw-downs + overdraft + expiries + voids + repayments) + balance.
    let granted = ZERO;
    let leftOfGrants = ZERO;
    for (const g of model.grants.values()) {
      if (g.wallet !== w.id) continue;
      granted = granted.plus(g.amount);
      leftOfGrants = leftOfGrants.plus(get(s.grant, g.id));
    }
    same(s.byType(w.id, ['grant', 'topup']), granted, `${where}: grant + topup entries of ${w.id} vs the grants defined`);
    same(s.byType(w.id, ['repay']), ZERO, `${where}: repayments of ${w.id} net to zero`);
    const balance = leftOfGrants.minus(used);
    const out = s.byType(w.id, ['drawdown', 'overdraft', 'expiry', 'void', 'repay']);
    same(granted, out.neg().plus(balance), `${where}: conservation of wallet ${w.id}`);
    same(pos.balance(w.id), balance, `${where}: balance of ${w.id} (engine vs ledger)`);
    // Pool caps: what each child drew per period stays within its cap.
    if (w.pool) {
      for (const [k, v] of s.childUse) {
        const [wid, acct] = k.split('|');
        if (wid !== w.id || acct === w.account) continue;
        const cap = w.childCaps[acct!] ?? w.childCap;
        if (cap !== null) expect(v.lte(cap), `${where}: child ${acct} drew ${v.toFixed()} of ${w.id}, cap ${cap.toFixed()}`).toBe(true);
      }
    }
  }
  // Per commitment: amount = −(draw-downs + breakage + rollover) + remaining, remaining ≥ 0.
  for (const c of model.commitments.values()) {
    const left = get(s.commitment, c.id);
    const typed = (ty: EntryType) => get(s.commitmentType, `${c.id}|${ty}`);
    same(typed('commitment'), c.amount, `${where}: commitment entry of ${c.id}`);
    same(c.amount, typed('commitment_drawdown').plus(typed('commitment_breakage')).plus(typed('commitment_rollover')).neg().plus(left), `${where}: conservation of commitment ${c.id}`);
    expect(left.gte(0), `${where}: commitment ${c.id} negative: ${left.toFixed()}`).toBe(true);
    same(pos.commitmentRemaining.get(c.id) ?? ZERO, left, `${where}: remaining of commitment ${c.id} (engine vs ledger)`);
  }
  // 6. The engine's own verifier agrees.
  expect(verifyLedger(pos, model.entries, { grants: pos.remaining, overdraft: pos.overdraftUsed, commitments: pos.commitmentRemaining }), `${where}: verifyLedger`).toEqual([]);
}

const compareLines = (a: WaterfallLine, b: WaterfallLine) =>
  a.at !== b.at ? (a.at < b.at ? -1 : 1) : a.account !== b.account ? (a.account < b.account ? -1 : 1) : a.lineId < b.lineId ? -1 : 1;

const DRAWS: readonly EntryType[] = ['commitment_drawdown', 'drawdown', 'overdraft'];

/** A charge run: the engine's breakdown and entries, line by line, against the model. Invariants 3, 4, 5. */
function charge(pos: Position, model: Model, lines: WaterfallLine[], runId: string, where: string): void {
  const r = runWaterfall(pos, lines, { topUpId: (n) => `${runId}-topup-${n}` });
  let k = 0;

  /** The line's draw-down entries, checked against the model and added to it. Invariant 5. */
  function consumeDraws(l: WaterfallLine, here: string): { credits: Decimal; byCommitment: Decimal } {
    const mine: Entry[] = [];
    while (k < r.entries.length && r.entries[k]!.lineId === l.lineId && DRAWS.includes(r.entries[k]!.type)) mine.push(r.entries[k++]!);
    const paying = new Set(model.paying(l).map((w) => w.id));
    let credits = ZERO;
    let byCommitment = ZERO;
    for (const e of mine) {
      expect([e.at, e.account, e.periodStart, e.currency, e.fiatCurrency], `${here}: ${e.type} entry fields`).toEqual([l.at, l.account, l.periodStart, 'USD', 'USD']);
      expect(e.amount.lt(0), `${here}: ${e.type} amount ${e.amount.toFixed()} not negative`).toBe(true);
      same(e.fiatAmount!, e.amount, `${here}: ${e.type} fiat = amount (one currency)`);
      if (e.type === 'commitment_drawdown') {
        const c = model.commitments.get(e.commitment!)!;
        expect(c.account === l.account && BOUNDS[c.startIdx]! <= l.at && l.at < BOUNDS[c.endIdx]!, `${here}: commitment ${c.id} not in force`).toBe(true);
        byCommitment = byCommitment.minus(e.amount);
        continue;
      }
      expect(paying.has(e.wallet!), `${here}: ${e.type} from wallet ${e.wallet} that may not pay the line`).toBe(true);
      credits = credits.minus(e.fiatAmount!);
      if (e.type === 'drawdown') {
        // 5. Only grants effective and not expired at the line: effectiveAt <= at < expiresAt.
        const g = model.grants.get(e.grant!)!;
        expect(g.wallet, `${here}: grant ${g.id} of another wallet`).toBe(e.wallet);
        expect(model.usableAt(g, l.at), `${here}: drew grant ${g.id} [${g.effectiveAt}, ${g.expiresAt}) at ${l.at}`).toBe(true);
      } else {
        expect(e.grant, `${here}: overdraft entry with a grant`).toBeNull();
      }
    }
    model.entries.push(...mine);
    return { credits, byCommitment };
  }

  /** The top-ups after the line (and the overdraft repayments they make), against the model's expectations; whether any happened. */
  function consumeTopUps(l: WaterfallLine, here: string): boolean {
    let any = false;
    // Top-ups: each paying wallet with a rule, under its count for the period, whose available balance is below the threshold.
    const s = model.sums();
    const expected = new Map<string, Decimal>();
    for (const w of model.paying(l)) {
      const rule = w.topUp;
      if (!rule || (s.topUps.get(`${w.id}|${l.periodStart}`) ?? 0) >= rule.maxPerPeriod) continue;
      const available = model.usable(s, w.id, l.at).minus(get(s.overdraft, w.id));
      if (available.gte(rule.threshold)) continue;
      const amount = rule.mode === 'fixed' ? rule.amount : rule.amount.minus(available);
      if (amount.gt(0)) expected.set(w.id, amount);
    }
    // One top-up per wallet per round: a held line's retry makes a second round right after (an unexpected
    // top-up stays unconsumed and fails the check on entries the model cannot place).
    while (k < r.entries.length && r.entries[k]!.type === 'topup' && r.entries[k]!.lineId === l.lineId && expected.has(r.entries[k]!.wallet!)) {
      const e = r.entries[k++]!;
      const w = model.wallet(e.wallet!);
      const want = expected.get(w.id);
      expect(want, `${here}: unexpected top-up of ${w.id}`).toBeDefined();
      same(e.amount, want!, `${here}: top-up amount of ${w.id}`);
      expected.delete(w.id);
      any = true;
      const def = r.topUps.find((u) => u.grant.id === e.grant)!;
      expect([def.grant.wallet, def.grant.effectiveAt, def.grant.expiresAt, def.lineId, e.at, e.account], `${here}: top-up grant`).toEqual([w.id, l.at, null, l.lineId, l.at, w.account]);
      same(def.grant.amount, e.amount, `${here}: top-up grant amount`);
      model.grants.set(e.grant!, { id: e.grant!, wallet: w.id, amount: e.amount, effectiveAt: l.at, expiresAt: null });
      model.entries.push(e);
      // The new grant first repays the overdraft.
      const x = Decimal.min(get(model.sums().overdraft, w.id), e.amount);
      if (x.gt(0)) {
        const [r1, r2] = [r.entries[k], r.entries[k + 1]];
        expect([r1?.type, r1?.grant, r1?.wallet, r2?.type, r2?.grant, r2?.wallet], `${here}: repayment after top-up`).toEqual(['repay', e.grant, w.id, 'repay', null, w.id]);
        same(r1!.amount, x.neg(), `${here}: repayment from the top-up`);
        same(r2!.amount, x, `${here}: repayment of the overdraft`);
        model.entries.push(r1!, r2!);
        k += 2;
      }
    }
    expect([...expected.keys()], `${here}: top-ups that did not happen`).toEqual([]);
    return any;
  }
  for (const l of [...lines].sort(compareLines)) {
    const here = `${where} line ${l.lineId} (${l.account} ${l.amount.toFixed()} ${l.charge} at ${l.at})`;
    const b = r.breakdown.get(l.lineId)!;
    expect(b, `${here}: breakdown`).toBeDefined();
    // 3. Commitment + credits + overage = amount, or all zero and held.
    if (b.held) for (const x of [b.coveredByCommitment, b.coveredByCredits, b.overage]) same(x, ZERO, `${here}: held line`);
    else same(b.coveredByCommitment.plus(b.coveredByCredits).plus(b.overage), l.amount, `${here}: commitment + credits + overage`);
    // The model's prediction, from the sums before the line; a held line that triggered a top-up is tried once more.
    let p = model.predict(l);
    let drawn = consumeDraws(l, here);
    if (consumeTopUps(l, here) && p.held) {
      p = model.predict(l);
      drawn = consumeDraws(l, here);
      consumeTopUps(l, here);
    }
    expect(b.held, `${here}: held`).toBe(p.held);
    same(b.coveredByCommitment, p.c, `${here}: covered by commitment (engine vs model)`);
    same(b.coveredByCredits, p.cr, `${here}: covered by credits (engine vs model)`);
    same(b.overage, p.o, `${here}: overage (engine vs model)`);
    // 4. −fiat of draw-downs and overdraft = covered by credits.
    same(drawn.credits, b.coveredByCredits, `${here}: Σ −fiat of drawdown/overdraft entries vs coveredByCredits`);
    same(drawn.byCommitment, b.coveredByCommitment, `${here}: Σ commitment draw-downs vs coveredByCommitment`);
  }

  expect(r.entries.slice(k).map((e) => `${e.type}:${e.lineId}`), `${where}: entries the model cannot place`).toEqual([]);
  expect(r.topUps.length, `${where}: top-ups listed`).toBe(r.entries.filter((e) => e.type === 'topup').length);
}

/** A period close against the model's expiries, rollovers and breakage. */
function close(pos: Position, model: Model, period: ClosePeriod, where: string): void {
  const here = `${where} close ${period.label}`;
  const s = model.sums();
  const key = (e: { type: string; id: string | null; amount: Decimal; at: string }) => `${e.type}|${e.id}|${e.amount.toFixed()}|${e.at}`;
  const want: string[] = [];
  const rolls = new Map<string, { from: MCommitment; amount: Decimal }>();
  for (const g of model.grants.values()) {
    const left = get(s.grant, g.id);
    if (g.expiresAt !== null && g.expiresAt <= period.end && left.gt(0)) want.push(key({ type: 'expiry', id: g.id, amount: left.neg(), at: g.expiresAt }));
  }
  for (const c of model.commitments.values()) {
    const left = get(s.commitment, c.id);
    const end = BOUNDS[c.endIdx]!;
    if (end > period.end || left.lte(0)) continue;
    const rolled = left.times(c.fraction).toDecimalPlaces(2, Decimal.ROUND_DOWN);
    const lost = left.minus(rolled);
    if (rolled.gt(0)) {
      want.push(key({ type: 'commitment_rollover', id: c.id, amount: rolled.neg(), at: end }));
      want.push(key({ type: 'commitment', id: `${c.id}.rollover`, amount: rolled, at: end }));
      rolls.set(`${c.id}.rollover`, { from: c, amount: rolled });
    }
    if (lost.gt(0)) want.push(key({ type: 'commitment_breakage', id: c.id, amount: lost.neg(), at: end }));
  }
  const res = closePeriod(pos, period, [], () => 2);
  expect(res.entries.map((e) => key({ type: e.type, id: e.grant ?? e.commitment, amount: e.amount, at: e.at })).sort(), `${here}: entries`).toEqual(want.sort());
  expect(res.trueUps, `${here}: true-ups`).toEqual([]);
  model.entries.push(...res.entries);
  expect(res.newCommitments.map((c) => c.id).sort(), `${here}: new commitments`).toEqual([...rolls.keys()].sort());
  for (const c of res.newCommitments) {
    const { from, amount } = rolls.get(c.id)!;
    const len = from.endIdx - from.startIdx;
    expect([c.account, c.kind, c.start, c.end, c.rolloverFraction.toFixed()], `${here}: rollover term of ${from.id}`).toEqual([from.account, 'prepaid', BOUNDS[from.endIdx], BOUNDS[from.endIdx + len], '0']);
    same(c.amount, amount, `${here}: rolled amount of ${from.id}`);
    model.commitments.set(c.id, { id: c.id, account: c.account, amount, startIdx: from.endIdx, endIdx: from.endIdx + len, fraction: ZERO });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One run.

function build(setup: Setup): { pos: Position; model: Model } {
  const pos = new Position();
  for (const [id, parent] of Object.entries(PARENT)) pos.accounts.set(id, { id, parent, currency: null });
  const owners = ['A', setup.secondOwner, 'P'];
  const wallets: Wallet[] = [];
  for (let i = 0; i < setup.nWallets; i++) {
    const cfg = setup.wallets[i]!;
    const isPool = setup.pool && i === setup.nWallets - 1;
    const w = wallet(`w${i}`, isPool ? 'P' : owners[i]!, {
      pool: isPool,
      priority: cfg.priority,
      order: cfg.order,
      overdraftLimit: dec(cents(cfg.overdraft)),
      onLimit: cfg.onLimit,
      appliesTo: cfg.restricted ? { charges: ['storage'] } : null,
      childCap: isPool && setup.childCap !== null ? dec(cents(setup.childCap)) : null,
      childCaps: isPool && setup.capB !== null ? { B: dec(cents(setup.capB)) } : {},
      topUp: cfg.topUp && { threshold: dec(cents(cfg.topUp.threshold)), mode: cfg.topUp.mode, amount: dec(cents(cfg.topUp.amount)), maxPerPeriod: cfg.topUp.maxPerPeriod },
    });
    pos.addWallet(w);
    wallets.push(w);
  }
  const model = new Model(wallets);
  if (setup.commitment) {
    const c = setup.commitment;
    const amount = dec(cents(c.amount));
    const def: Commitment = {
      id: 'pre', account: c.account, kind: 'prepaid', amount, currency: 'USD', start: BOUNDS[c.startMonth]!, end: BOUNDS[c.startMonth + c.months]!, appliesTo: null, rolloverFraction: dec(c.fraction),
    };
    pos.addCommitment(def);
    const e: Entry = { type: 'commitment', at: def.start, account: def.account, wallet: null, grant: null, commitment: def.id, lineId: null, periodStart: null, amount, currency: 'USD', fiatAmount: null, fiatCurrency: null };
    pos.applyEntry(e);
    model.entries.push(e);
    model.commitments.set(def.id, { id: def.id, account: def.account, amount, startIdx: c.startMonth, endIdx: c.startMonth + c.months, fraction: dec(c.fraction) });
  }
  return { pos, model };
}

function run(setup: Setup, steps: Step[]): void {
  lineNo = 0;
  const { pos, model } = build(setup);
  checkAll(pos, model, 'setup');
  let clock = 0;
  let grantNo = 0;
  /** Hours at which a grant became effective or expires, for lines that snap onto them. */
  const boundaries: number[] = [];
  steps.forEach((step, i) => {
    const where = `step ${i} (${step.kind})`;
    switch (step.kind) {
      case 'grant': {
        const w = model.wallets[step.wallet % model.wallets.length]!;
        const id = `g${++grantNo}`;
        const effectiveAt = at(clock + step.effOffset);
        const expiresAt = step.expiresAfter === null ? null : at(clock + step.effOffset + step.expiresAfter);
        boundaries.push(clock + step.effOffset);
        if (step.expiresAfter !== null) boundaries.push(clock + step.effOffset + step.expiresAfter);
        const e = grant(pos, id, w.id, cents(step.amount), { kind: step.grantKind, priority: step.priority, effectiveAt, expiresAt });
        model.grants.set(id, { id, wallet: w.id, amount: dec(cents(step.amount)), effectiveAt, expiresAt });
        model.entries.push(e);
        if (step.repay) {
          const x = Decimal.min(get(model.sums().overdraft, w.id), e.amount);
          const rs = repayOverdraft(pos, pos.grants.get(id)!, effectiveAt);
          expect(rs.map((r) => [r.type, r.grant, r.wallet, r.amount.toFixed()]), `${where}: repayOverdraft`).toEqual(
            x.gt(0) ? [['repay', id, w.id, x.neg().toFixed()], ['repay', null, w.id, x.toFixed()]] : [],
          );
          model.entries.push(...rs);
        }
        break;
      }
      case 'charge': {
        clock = Math.min(LAST, clock + step.advance);
        const lines = step.lines.map((x) => {
          const next = Math.min(...boundaries.filter((h) => h >= clock && h <= LAST));
          clock = x.snap && Number.isFinite(next) ? next : Math.min(LAST, clock + x.gap);
          return line(x.account, cents(x.amount), at(clock), { charge: x.charge });
        });
        charge(pos, model, lines, `run${i}`, where);
        break;
      }
      case 'close': {
        if (step.jump && clock < DEC1) clock = DEC1;
        const ended = MONTHS.filter((m) => m.end <= at(clock));
        close(pos, model, ended[ended.length - 1 - (step.pick % ended.length)]!, where);
        break;
      }
      case 'void': {
        const grants = [...model.grants.values()];
        if (grants.length === 0) break;
        const g = grants[step.grant % grants.length]!;
        const left = get(model.sums().grant, g.id);
        if (left.lte(0)) break;
        const w = model.wallet(g.wallet);
        const e: Entry = { type: 'void', at: at(clock), account: w.account, wallet: w.id, grant: g.id, commitment: null, lineId: null, periodStart: null, amount: left.neg(), currency: 'USD', fiatAmount: null, fiatCurrency: null };
        pos.applyEntry(e);
        model.entries.push(e);
        break;
      }
    }
    checkAll(pos, model, where);
  });
  // The end of December: close every month in order, then closing again changes nothing.
  clock = JAN1;
  for (const m of MONTHS) {
    close(pos, model, m, 'final');
    checkAll(pos, model, `final close ${m.label}`);
  }
  expect(closePeriod(pos, MONTHS[2]!, [], () => 2).entries, 'closing December twice').toEqual([]);
  // Every grant that expired by January 1 holds nothing any more.
  const s = model.sums();
  for (const g of model.grants.values()) if (g.expiresAt !== null && g.expiresAt <= MONTHS[2]!.end) same(get(s.grant, g.id), ZERO, `final: expired grant ${g.id}`);
}

describe('wallet engine against a ledger-sum model', () => {
  it('conserves every grant, wallet and commitment through random grants, charges, closes and voids', () => {
    fc.assert(fc.property(setupArb, stepsArb, (setup, steps) => run(setup, steps)), { numRuns: 200 });
  });
});
