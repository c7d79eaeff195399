/**
 * Period close: the work that belongs to the end of a billing period, pure over a Position.
 *
 * - Expiry: every grant that expired by the period's end and still holds something gets an `expiry` entry for
 *   the remainder, dated at its expiry: that remainder is breakage.
 * - Prepaid commitments whose term ended by the period's end: `rolloverFraction` of the remainder (rounded down
 *   to minor units) becomes a new prepaid commitment for the next term of the same length (which does not roll
 *   over again); the rest is breakage.
 * - Minimum commitments in force during the period (whole, for every period the term overlaps): when the list
 *   spend on lines in scope of the account and its descendants is below the minimum, the shortfall becomes a
 *   true-up charge line. True-ups are invoiced as they are: credits do not pay them.
 *
 * Closing twice is harmless here (what is expired or rolled over holds nothing any more); the state store also
 * records each close so a second one makes no second true-up.
 */
import { createHash } from 'node:crypto';
import { Decimal, ZERO } from '../pricing/index.js';
import { nextTerm } from './instant.js';
import type { Position } from './position.js';
import type { Commitment, Entry } from './types.js';
import { matches } from './waterfall.js';

export interface ClosePeriod {
  /** Period label, e.g. 2026-10. */
  label: string;
  start: string;
  end: string;
}

/** A line of the period, as minimum commitments measure spend. */
export interface SpendLine {
  account: string;
  charge: string;
  meter: string;
  dims: Record<string, string | null>;
  currency: string;
  amount: Decimal;
}

export interface TrueUpLine {
  lineId: string;
  account: string;
  period: string;
  commitment: string;
  currency: string;
  minimum: Decimal;
  spend: Decimal;
  amount: Decimal;
}

export interface Breakage {
  account: string;
  grant: string | null;
  commitment: string | null;
  amount: Decimal;
  currency: string;
  at: string;
}

export interface CloseResult {
  entries: Entry[];
  trueUps: TrueUpLine[];
  breakage: Breakage[];
  newCommitments: Commitment[];
}

export function closePeriod(pos: Position, period: ClosePeriod, lines: readonly SpendLine[], minorUnits: (currency: string) => number): CloseResult {
  const entries: Entry[] = [];
  const breakage: Breakage[] = [];
  const newCommitments: Commitment[] = [];
  const trueUps: TrueUpLine[] = [];
  const emit = (e: Entry) => {
    pos.applyEntry(e);
    entries.push(e);
  };
  const base = { lineId: null, periodStart: period.start, fiatAmount: null, fiatCurrency: null };

  const grants = [...pos.grants.values()].filter((g) => g.expiresAt !== null).sort((a, b) => (a.expiresAt! < b.expiresAt! ? -1 : a.expiresAt! > b.expiresAt! ? 1 : a.id < b.id ? -1 : 1));
  for (const g of grants) {
    const left = pos.remaining.get(g.id) ?? ZERO;
    if (g.expiresAt === null || g.expiresAt > period.end || left.lte(0)) continue;
    const w = pos.wallets.get(g.wallet)!;
    emit({ ...base, type: 'expiry', at: g.expiresAt, account: w.account, wallet: w.id, grant: g.id, commitment: null, amount: left.neg(), currency: w.currency });
    breakage.push({ account: w.account, grant: g.id, commitment: null, amount: left, currency: w.currency, at: g.expiresAt });
  }

  const commitments = [...pos.commitments.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const c of commitments) {
    if (c.kind !== 'prepaid' || c.end > period.end) continue;
    const left = pos.commitmentRemaining.get(c.id) ?? ZERO;
    if (left.lte(0)) continue;
    const rolled = left.times(c.rolloverFraction).toDecimalPlaces(minorUnits(c.currency), Decimal.ROUND_DOWN);
    const lost = left.minus(rolled);
    const at = c.end;
    const cbase = { ...base, at, account: c.account, wallet: null, grant: null, currency: c.currency };
    if (rolled.gt(0)) {
      emit({ ...cbase, type: 'commitment_rollover', commitment: c.id, amount: rolled.neg() });
      const term = nextTerm(c.start, c.end);
      const next: Commitment = { ...c, id: `${c.id}.rollover`, amount: rolled, start: term.start, end: term.end, rolloverFraction: ZERO };
      pos.addCommitment(next);
      newCommitments.push(next);
      emit({ ...cbase, type: 'commitment', commitment: next.id, amount: rolled });
    }
    if (lost.gt(0)) {
      emit({ ...cbase, type: 'commitment_breakage', commitment: c.id, amount: lost.neg() });
      breakage.push({ account: c.account, grant: null, commitment: c.id, amount: lost, currency: c.currency, at });
    }
  }

  for (const c of commitments) {
    if (c.kind !== 'minimum' || !(c.start < period.end && period.start < c.end)) continue;
    let spend = ZERO;
    const covers = (account: string) => account === c.account || pos.ancestors(account).includes(c.account);
    for (const l of lines) if (covers(l.account) && l.currency === c.currency && matches(c.appliesTo, l)) spend = spend.plus(l.amount);
    const shortfall = c.amount.minus(spend);
    if (shortfall.lte(0)) continue;
    const lineId = createHash('sha256').update(`true_up\u241f${c.id}\u241f${period.start}`).digest('hex').slice(0, 24);
    trueUps.push({ lineId, account: c.account, period: period.label, commitment: c.id, currency: c.currency, minimum: c.amount, spend, amount: shortfall });
  }
  return { entries, trueUps, breakage, newCommitments };
}
