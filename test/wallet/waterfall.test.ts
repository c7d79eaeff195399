/**
 * The waterfall and the period close with hand-checked numbers: every expected figure below is worked out in
 * the comment beside it, not taken from a run.
 */
import { describe, expect, it } from 'vitest';
import { dec, ZERO } from '../../src/pricing/index.js';
import { Position } from '../../src/wallet/position.js';
import { runWaterfall } from '../../src/wallet/waterfall.js';
import { closePeriod } from '../../src/wallet/close.js';
import { instant } from '../../src/wallet/instant.js';
import type { Commitment, Grant, Wallet, WaterfallLine } from '../../src/wallet/types.js';
import { DEFAULT_ORDER } from '../../src/wallet/types.js';

const t = (s: string) => instant(s, 'test');

function wallet(id: string, account: string, extra: Partial<Wallet> = {}): Wallet {
  return { id, account, currency: 'USD', pool: false, priority: 0, order: DEFAULT_ORDER, overdraftLimit: ZERO, onLimit: 'overage', appliesTo: null, childCap: null, childCaps: {}, topUp: null, ...extra };
}

function grant(pos: Position, id: string, walletId: string, amount: string, extra: Partial<Omit<Grant, 'amount'>> = {}): void {
  const g: Grant = { id, wallet: walletId, amount: dec(amount), kind: 'purchased', priority: 0, effectiveAt: t('2026-01-01'), expiresAt: null, costBasis: null, ...extra };
  pos.addGrant(g);
  const w = pos.wallets.get(walletId)!;
  pos.applyEntry({ type: 'grant', at: g.effectiveAt, account: w.account, wallet: walletId, grant: id, commitment: null, lineId: null, periodStart: null, amount: g.amount, currency: w.currency, fiatAmount: null, fiatCurrency: null });
}

let lineNo = 0;
function line(account: string, amount: string, at: string, extra: Partial<WaterfallLine> = {}): WaterfallLine {
  lineNo++;
  return { lineId: `L${String(lineNo).padStart(4, '0')}`, account, charge: 'api', meter: 'calls', dims: {}, at: t(at), periodStart: t('2026-11-01'), currency: 'USD', minorUnits: 2, amount: dec(amount), ...extra };
}

const opts = { topUpId: (n: number) => `topup-${n}` };
const fx = (d: { toFixed: () => string }) => d.toFixed();

function summary(pos: Position, lines: WaterfallLine[]) {
  const r = runWaterfall(pos, lines, opts);
  return { r, b: lines.map((l) => r.breakdown.get(l.lineId)!).map((b) => ({ c: fx(b.coveredByCommitment), cr: fx(b.coveredByCredits), o: fx(b.overage), held: b.held })) };
}

describe('credits in draw-down order', () => {
  it('a charge spans three grants of different priorities and expiries', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme'));
    grant(pos, 'late-expiry', 'w', '30', { priority: 1, expiresAt: t('2026-12-01') });
    grant(pos, 'soon-expiry', 'w', '20', { priority: 1, expiresAt: t('2026-11-20') });
    grant(pos, 'first', 'w', '15', { priority: 0 });
    // 45.00 at Nov 10: priority 0 first (15), then of the two priority-1 grants the sooner expiry (20), then 10 of the last.
    // 25.00 at Nov 25: soon-expiry has expired (it was empty anyway); late-expiry holds 20 → 5.00 overage.
    const lines = [line('acme', '45.00', '2026-11-10T12:00:00Z'), line('acme', '25.00', '2026-11-25')];
    const { r, b } = summary(pos, lines);
    expect(b).toEqual([{ c: '0', cr: '45', o: '0', held: false }, { c: '0', cr: '20', o: '5', held: false }]);
    expect(r.entries.filter((e) => e.type === 'drawdown').map((e) => `${e.grant}:${e.amount.toFixed()}`)).toEqual(['first:-15', 'soon-expiry:-20', 'late-expiry:-10', 'late-expiry:-20']);
    expect(fx(pos.balance('w'))).toBe('0');
  });

  it('promotional before purchased, then oldest, when priority and expiry tie', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme'));
    grant(pos, 'bought-old', 'w', '10', { kind: 'purchased', effectiveAt: t('2026-01-01') });
    grant(pos, 'promo', 'w', '10', { kind: 'promotional', effectiveAt: t('2026-06-01') });
    grant(pos, 'bought-new', 'w', '10', { kind: 'purchased', effectiveAt: t('2026-03-01') });
    const { r } = summary(pos, [line('acme', '25', '2026-11-02')]);
    expect(r.entries.map((e) => e.grant)).toEqual(['promo', 'bought-old', 'bought-new']);
  });

  it('a wallet can declare its own order (oldest first)', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme', { order: ['age'] }));
    grant(pos, 'new', 'w', '10', { priority: 0, effectiveAt: t('2026-05-01') });
    grant(pos, 'old', 'w', '10', { priority: 9, effectiveAt: t('2026-02-01') });
    const { r } = summary(pos, [line('acme', '5', '2026-11-02')]);
    expect(r.entries.map((e) => e.grant)).toEqual(['old']);
  });

  it('a grant expiring at the exact instant of a line does not pay it (half-open [effective, expiry))', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme'));
    grant(pos, 'g', 'w', '100', { expiresAt: t('2026-11-15T00:00:00Z') });
    grant(pos, 'future', 'w', '100', { effectiveAt: t('2026-11-15T00:00:00.000001Z') });
    const { b } = summary(pos, [line('acme', '7.00', '2026-11-15T00:00:00Z'), line('acme', '3.00', '2026-11-14T23:59:59.999999Z')]);
    // The second line is earlier, so it is applied first and paid by g; the first is at g's expiry and before `future`.
    expect(b).toEqual([{ c: '0', cr: '0', o: '7', held: false }, { c: '0', cr: '3', o: '0', held: false }]);
  });

  it('a wallet restricted to some charges pays only those', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme', { appliesTo: { charges: ['storage'], dimensions: { region: ['eu-west'] } } }));
    grant(pos, 'g', 'w', '100');
    const { b } = summary(pos, [
      line('acme', '5', '2026-11-02'),
      line('acme', '6', '2026-11-03', { charge: 'storage', dims: { region: 'us-east' } }),
      line('acme', '7', '2026-11-04', { charge: 'storage', dims: { region: 'eu-west' } }),
    ]);
    expect(b.map((x) => x.cr)).toEqual(['0', '0', '7']);
  });
});

describe('overdraft', () => {
  it('goes negative down to the limit, and the rest is overage', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme', { overdraftLimit: dec('5') }));
    grant(pos, 'g', 'w', '10');
    // 12: 10 from the grant, 2 overdrawn. 8: 3 more to reach the limit of 5, 5 overage.
    const { b, r } = summary(pos, [line('acme', '12', '2026-11-02'), line('acme', '8', '2026-11-03')]);
    expect(b).toEqual([{ c: '0', cr: '12', o: '0', held: false }, { c: '0', cr: '3', o: '5', held: false }]);
    expect(r.entries.map((e) => `${e.type}:${e.amount.toFixed()}`)).toEqual(['drawdown:-10', 'overdraft:-2', 'overdraft:-3']);
    expect(fx(pos.balance('w'))).toBe('-5');
  });

  it('holds the whole line, drawing nothing, when the wallet is set to hold at its limit', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme', { overdraftLimit: dec('5'), onLimit: 'hold' }));
    grant(pos, 'g', 'w', '10');
    const { b, r } = summary(pos, [line('acme', '12', '2026-11-02'), line('acme', '8', '2026-11-03'), line('acme', '3', '2026-11-04')]);
    // 12 fits (10 + 2 overdrawn); 8 would need 3 + 5 past the limit: held; 3 fits in the remaining overdraft.
    expect(b).toEqual([{ c: '0', cr: '12', o: '0', held: false }, { c: '0', cr: '0', o: '0', held: true }, { c: '0', cr: '3', o: '0', held: false }]);
    expect(r.entries).toHaveLength(3);
    expect(fx(pos.balance('w'))).toBe('-5');
  });
});

describe('hold and top-up together', () => {
  it('a line held at the limit is paid when the top-up it triggers covers it', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme', { onLimit: 'hold', topUp: { threshold: dec('5'), mode: 'fixed', amount: dec('50'), maxPerPeriod: 1 } }));
    grant(pos, 'g', 'w', '3');
    // 10.00 needs more than the 3.00 held: held, nothing drawn; 3.00 < 5 triggers a 50.00 top-up; tried again: 3 + 7.
    const { b, r } = summary(pos, [line('acme', '10', '2026-11-02')]);
    expect(b[0]).toEqual({ c: '0', cr: '10', o: '0', held: false });
    expect(r.entries.map((e) => `${e.type}:${e.grant}:${e.amount.toFixed()}`)).toEqual(['topup:topup-1:50', 'drawdown:g:-3', 'drawdown:topup-1:-7']);
  });
});

describe('enterprise pools', () => {
  it('three children share a parent pool; one child is capped per period', () => {
    const pos = new Position();
    for (const c of ['a', 'b', 'c']) pos.accounts.set(c, { id: c, parent: 'parent', currency: null });
    pos.accounts.set('parent', { id: 'parent', parent: null, currency: null });
    pos.addWallet(wallet('pool', 'parent', { pool: true, childCaps: { c: dec('20') } }));
    grant(pos, 'g', 'pool', '100');
    // a 30 and b 30 from the pool (40 left); c asks 35 but is capped at 20 (15 overage); 20 left;
    // a asks 25: 20 covered, 5 overage.
    const { b, r } = summary(pos, [line('a', '30', '2026-11-02'), line('b', '30', '2026-11-03'), line('c', '35', '2026-11-04'), line('a', '25', '2026-11-05')]);
    expect(b.map((x) => [x.cr, x.o])).toEqual([['30', '0'], ['30', '0'], ['20', '15'], ['20', '5']]);
    // Each draw-down records which child consumed it.
    expect(r.entries.map((e) => `${e.account}:${e.amount.toFixed()}`)).toEqual(['a:-30', 'b:-30', 'c:-20', 'a:-20']);
  });

  it("a child's own wallet pays before the pool", () => {
    const pos = new Position();
    pos.accounts.set('a', { id: 'a', parent: 'parent', currency: null });
    pos.addWallet(wallet('pool', 'parent', { pool: true }));
    pos.addWallet(wallet('own', 'a'));
    grant(pos, 'gp', 'pool', '100');
    grant(pos, 'go', 'own', '4');
    const { r } = summary(pos, [line('a', '10', '2026-11-02')]);
    expect(r.entries.map((e) => `${e.wallet}:${e.amount.toFixed()}`)).toEqual(['own:-4', 'pool:-6']);
  });
});

describe('automated top-ups', () => {
  it('two top-ups in one run, placed among the draw-downs, at most two per period', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme', { topUp: { threshold: dec('10'), mode: 'fixed', amount: dec('50'), maxPerPeriod: 2 } }));
    grant(pos, 'g', 'w', '20');
    // 15: 20 → 5, below 10: top-up 1 (+50 → 55). 50: → 5, top-up 2 (→ 55). 50: → 5, no third top-up.
    // 10: 5 covered, 5 overage.
    const { b, r } = summary(pos, [line('acme', '15', '2026-11-02'), line('acme', '50', '2026-11-03'), line('acme', '50', '2026-11-04'), line('acme', '10', '2026-11-05')]);
    expect(b.map((x) => [x.cr, x.o])).toEqual([['15', '0'], ['50', '0'], ['50', '0'], ['5', '5']]);
    expect(r.topUps.map((u) => [u.grant.id, u.grant.amount.toFixed(), u.grant.effectiveAt])).toEqual([
      ['topup-1', '50', t('2026-11-02')],
      ['topup-2', '50', t('2026-11-03')],
    ]);
    // Line 2 draws 5 from g and 45 from top-up 1; line 3 draws 5 + 45 from the two top-ups; line 4 the last 5.
    expect(r.entries.map((e) => `${e.type}:${e.grant}:${e.amount.toFixed()}`)).toEqual([
      'drawdown:g:-15', 'topup:topup-1:50', 'drawdown:g:-5', 'drawdown:topup-1:-45', 'topup:topup-2:50',
      'drawdown:topup-1:-5', 'drawdown:topup-2:-45', 'drawdown:topup-2:-5',
    ]);
  });

  it('a top-up to a target first repays the overdraft', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme', { overdraftLimit: dec('10'), topUp: { threshold: dec('0'), mode: 'target', amount: dec('25'), maxPerPeriod: 1 } }));
    // 8 with nothing in the wallet: overdraft 8, available −8 < 0 → top-up to 25 adds 33, of which 8 repays the overdraft.
    const { r } = summary(pos, [line('acme', '8', '2026-11-02')]);
    expect(r.entries.map((e) => `${e.type}:${e.grant ?? '-'}:${e.amount.toFixed()}`)).toEqual(['overdraft:-:-8', 'topup:topup-1:33', 'repay:topup-1:-8', 'repay:-:8']);
    expect(fx(pos.balance('w'))).toBe('25');
    expect(fx(pos.overdraftUsed.get('w')!)).toBe('0');
  });
});

describe('virtual currency', () => {
  it('a credits wallet pays a USD charge at the rate in force at the line', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme', { currency: 'credits' }));
    pos.rates = [
      { currency: 'credits', fiat: 'USD', rate: dec('0.01'), effectiveAt: t('2026-01-01') },
      { currency: 'credits', fiat: 'USD', rate: dec('0.02'), effectiveAt: t('2026-11-15') },
    ];
    grant(pos, 'g', 'w', '1000');
    // 3.00 at 0.01 = 300 credits; 5.00 at 0.02 = 250 credits; 10.00 at 0.02: 450 credits left are worth 9.00.
    const { b, r } = summary(pos, [line('acme', '3.00', '2026-11-10'), line('acme', '5.00', '2026-11-20'), line('acme', '10.00', '2026-11-21')]);
    expect(b.map((x) => [x.cr, x.o])).toEqual([['3', '0'], ['5', '0'], ['9', '1']]);
    expect(r.entries.map((e) => `${e.amount.toFixed()} credits = ${e.fiatAmount!.toFixed()} ${e.fiatCurrency}`)).toEqual(['-300 credits = -3 USD', '-250 credits = -5 USD', '-450 credits = -9 USD']);
  });

  it('a rate that does not divide evenly draws the credits rounded up at 12 places, covering whole cents', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme', { currency: 'credits' }));
    pos.rates = [{ currency: 'credits', fiat: 'USD', rate: dec('0.03'), effectiveAt: t('2026-01-01') }];
    grant(pos, 'g', 'w', '10');
    // 1.00 / 0.03 = 33.333…: 10 credits are worth 0.30 → covered 0.30 exactly, 10 credits drawn, 0.70 overage.
    const { b, r } = summary(pos, [line('acme', '1.00', '2026-11-10')]);
    expect(b[0]).toEqual({ c: '0', cr: '0.3', o: '0.7', held: false });
    expect(r.entries[0]!.amount.toFixed()).toBe('-10');
    const pos2 = new Position();
    pos2.addWallet(wallet('w', 'acme', { currency: 'credits' }));
    pos2.rates = pos.rates;
    grant(pos2, 'g', 'w', '100');
    const r2 = runWaterfall(pos2, [line('acme', '1.00', '2026-11-10')], opts);
    expect(r2.entries[0]!.amount.toFixed()).toBe('-33.333333333334');
  });

  it('a wallet with no rate to the line currency does not pay it', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme', { currency: 'EUR' }));
    grant(pos, 'g', 'w', '100');
    const { b } = summary(pos, [line('acme', '1.00', '2026-11-10')]);
    expect(b[0]!.o).toBe('1');
  });
});

describe('commitments', () => {
  const commitment = (c: Partial<Commitment> & Pick<Commitment, 'id' | 'kind' | 'amount'>): Commitment => ({
    account: 'acme', currency: 'USD', start: t('2026-10-01'), end: t('2026-11-01'), appliesTo: null, rolloverFraction: ZERO, ...c,
  });

  it('a prepaid commitment is drawn before credits, and rolls half its remainder into the next term', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme'));
    grant(pos, 'g', 'w', '10');
    const prepaid = commitment({ id: 'pre', kind: 'prepaid', amount: dec('100'), rolloverFraction: dec('0.5') });
    pos.addCommitment(prepaid);
    pos.applyEntry({ type: 'commitment', at: prepaid.start, account: 'acme', wallet: null, grant: null, commitment: 'pre', lineId: null, periodStart: null, amount: dec('100'), currency: 'USD', fiatAmount: null, fiatCurrency: null });
    // October: 30 from the commitment (70 left); wallet untouched.
    const oct = summary(pos, [line('acme', '30', '2026-10-12', { periodStart: t('2026-10-01') })]);
    expect(oct.b[0]).toEqual({ c: '30', cr: '0', o: '0', held: false });
    // Close October: 70 left, half rolls over (35 for Nov 1 – Dec 1), 35 is breakage.
    const close = closePeriod(pos, { label: '2026-10', start: t('2026-10-01'), end: t('2026-11-01') }, [], () => 2);
    expect(close.newCommitments.map((c) => [c.id, c.amount.toFixed(), c.start, c.end])).toEqual([['pre.rollover', '35', t('2026-11-01'), t('2026-12-01')]]);
    expect(close.breakage.map((x) => x.amount.toFixed())).toEqual(['35']);
    // November 50: 35 from the rolled-over term, 10 from the wallet, 5 overage.
    const nov = summary(pos, [line('acme', '50', '2026-11-03')]);
    expect(nov.b[0]).toEqual({ c: '35', cr: '10', o: '5', held: false });
    // Closing October again changes nothing.
    expect(closePeriod(pos, { label: '2026-10', start: t('2026-10-01'), end: t('2026-11-01') }, [], () => 2).entries).toEqual([]);
  });

  it('a minimum commitment turns the shortfall into a true-up line', () => {
    const pos = new Position();
    pos.addCommitment(commitment({ id: 'min', kind: 'minimum', amount: dec('100'), appliesTo: { charges: ['api'] } }));
    const lines = [
      { account: 'acme', charge: 'api', meter: 'calls', dims: {}, currency: 'USD', amount: dec('45.50') },
      { account: 'acme', charge: 'api', meter: 'calls', dims: {}, currency: 'USD', amount: dec('14.50') },
      { account: 'acme', charge: 'storage', meter: 'gb', dims: {}, currency: 'USD', amount: dec('500') }, // out of scope
      { account: 'other', charge: 'api', meter: 'calls', dims: {}, currency: 'USD', amount: dec('500') },
      { account: 'acme-eu', charge: 'api', meter: 'calls', dims: {}, currency: 'USD', amount: dec('10') }, // a child: counts
    ];
    pos.accounts.set('acme-eu', { id: 'acme-eu', parent: 'acme', currency: null });
    const close = closePeriod(pos, { label: '2026-10', start: t('2026-10-01'), end: t('2026-11-01') }, lines, () => 2);
    // 100 − (45.50 + 14.50 + 10 of the child) = 30.
    expect(close.trueUps.map((u) => [u.account, u.spend.toFixed(), u.amount.toFixed()])).toEqual([['acme', '70', '30']]);
  });

  it('close records the expired remainder of grants as breakage, dated at expiry', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme'));
    grant(pos, 'g', 'w', '10', { expiresAt: t('2026-10-20') });
    grant(pos, 'keeps', 'w', '10', { expiresAt: t('2026-11-20') });
    summary(pos, [line('acme', '4', '2026-10-05', { periodStart: t('2026-10-01') })]);
    const close = closePeriod(pos, { label: '2026-10', start: t('2026-10-01'), end: t('2026-11-01') }, [], () => 2);
    expect(close.entries.map((e) => [e.type, e.grant, e.amount.toFixed(), e.at])).toEqual([['expiry', 'g', '-6', t('2026-10-20')]]);
    expect(fx(pos.balance('w'))).toBe('10');
  });
});

describe('the README worked example', () => {
  it('commitment, then promotional before purchased, expiry, overage, breakage at close', () => {
    const pos = new Position();
    pos.addWallet(wallet('w', 'acme'));
    grant(pos, 'promo', 'w', '30.00', { kind: 'promotional', expiresAt: t('2026-10-20') });
    grant(pos, 'bought', 'w', '50.00', { kind: 'purchased' });
    pos.addCommitment({ id: 'pre', account: 'acme', kind: 'prepaid', amount: dec('100.00'), currency: 'USD', start: t('2026-10-01'), end: t('2026-11-01'), appliesTo: null, rolloverFraction: ZERO });
    pos.applyEntry({ type: 'commitment', at: t('2026-10-01'), account: 'acme', wallet: null, grant: null, commitment: 'pre', lineId: null, periodStart: null, amount: dec('100.00'), currency: 'USD', fiatAmount: null, fiatCurrency: null });
    const oct = { periodStart: t('2026-10-01') };
    const { b } = summary(pos, [
      line('acme', '80.00', '2026-10-12', oct),
      line('acme', '45.00', '2026-10-18', oct),
      line('acme', '40.00', '2026-10-25', oct),
      line('acme', '18.00', '2026-10-31', oct),
    ]);
    expect(b).toEqual([
      { c: '80', cr: '0', o: '0', held: false },
      { c: '20', cr: '25', o: '0', held: false },
      { c: '0', cr: '40', o: '0', held: false },
      { c: '0', cr: '10', o: '8', held: false },
    ]);
    const close = closePeriod(pos, { label: '2026-10', start: t('2026-10-01'), end: t('2026-11-01') }, [], () => 2);
    expect(close.breakage.map((x) => [x.grant, x.amount.toFixed()])).toEqual([['promo', '5']]);
  });
});

describe('accounts with nothing to draw on', () => {
  it('leave their lines as overage, in any order, while the others are paid in time order', () => {
    const pos = new Position();
    pos.accounts.set('parent', { id: 'parent', parent: null, currency: null });
    pos.accounts.set('child', { id: 'child', parent: 'parent', currency: null });
    pos.accounts.set('bare', { id: 'bare', parent: null, currency: null });
    pos.addWallet(wallet('pool', 'parent', { pool: true }));
    grant(pos, 'g', 'pool', '50');
    pos.addCommitment({ id: 'pre', account: 'solo', kind: 'prepaid', amount: dec('20'), currency: 'USD', start: t('2026-11-01'), end: t('2026-12-01'), appliesTo: null, rolloverFraction: ZERO });
    pos.applyEntry({ type: 'commitment', at: t('2026-11-01'), account: 'solo', wallet: null, grant: null, commitment: 'pre', lineId: null, periodStart: null, amount: dec('20'), currency: 'USD', fiatAmount: null, fiatCurrency: null });
    expect(['parent', 'child', 'bare', 'solo', 'nobody'].map((a) => pos.mayPay(a))).toEqual([true, true, false, true, false]);
    // Given out of time order: the child's later line (40) comes first in the list, its earlier one (30) second.
    // In time order the pool pays 30 of the Nov 5 line, then 20 of the Nov 20 line (20 overage). The bare account
    // and an unknown one have nothing: all overage, negative lines too. The commitment pays 20 of solo's 25.
    const lines = [
      line('child', '40', '2026-11-20'),
      line('bare', '12.50', '2026-11-01'),
      line('child', '30', '2026-11-05'),
      line('nobody', '-3', '2026-11-02'),
      line('solo', '25', '2026-11-10'),
    ];
    const { r, b } = summary(pos, lines);
    expect(b).toEqual([
      { c: '0', cr: '20', o: '20', held: false },
      { c: '0', cr: '0', o: '12.5', held: false },
      { c: '0', cr: '30', o: '0', held: false },
      { c: '0', cr: '0', o: '-3', held: false },
      { c: '20', cr: '0', o: '5', held: false },
    ]);
    expect(r.entries.map((e) => `${e.type}:${e.account}:${e.amount.toFixed()}`)).toEqual(['drawdown:child:-30', 'commitment_drawdown:solo:-20', 'drawdown:child:-20']);
  });
});
