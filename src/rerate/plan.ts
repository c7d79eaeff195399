/**
 * What a re-rating changes: the lines billed so far for a period (originals plus earlier adjustments) against
 * a fresh rating of the same period. Pure. A line is matched by its id (ruleset, account, period, charge,
 * price version, dimensions); a line whose amount or breakdown moved, appeared or disappeared is changed.
 */
import { ZERO, type Decimal } from '../pricing/index.js';

export interface LineFacts {
  lineId: string;
  account: string;
  period: string;
  /** Canonical UTC instant. */
  periodStart: string;
  charge: string;
  meter: string;
  dims: Record<string, string | null>;
  dimension: string;
  /** When the line was incurred (canonical UTC instant). */
  at: string;
  currency: string;
  minorUnits: number;
  amount: Decimal;
  /** The meter quantity of the line (so late usage can be added to it later). */
  quantity: Decimal;
  version: number;
}

export interface Breakdown {
  coveredByCommitment: Decimal;
  coveredByCredits: Decimal;
  overage: Decimal;
}

/** A billed line: its facts and what has been billed for it so far (original plus adjustments). */
export interface BilledLine extends LineFacts, Breakdown {}

export interface Change {
  old: BilledLine | null;
  fresh: LineFacts | null;
}

/** Lines whose amount or breakdown (what pays it, from the waterfall run again: `paid`) moved. */
export function planChanges(billed: readonly BilledLine[], fresh: readonly LineFacts[], paid: ReadonlyMap<string, Breakdown>): Change[] {
  const before = new Map(billed.map((l) => [l.lineId, l]));
  const after = new Map(fresh.map((l) => [l.lineId, l]));
  const ids = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changes: Change[] = [];
  for (const id of ids) {
    const old = before.get(id) ?? null;
    const now = after.get(id) ?? null;
    const b = now ? paid.get(now.lineId) : undefined;
    const same = (old?.amount ?? ZERO).eq(now?.amount ?? ZERO)
      && (old?.coveredByCommitment ?? ZERO).eq(b?.coveredByCommitment ?? ZERO)
      && (old?.coveredByCredits ?? ZERO).eq(b?.coveredByCredits ?? ZERO)
      && (old?.overage ?? ZERO).eq(b?.overage ?? (now?.amount ?? ZERO));
    if (same) continue;
    changes.push({ old, fresh: now });
  }
  return changes;
}

export interface AdjustmentRow extends LineFacts, Breakdown {
  kind: 'reversal' | 'new' | 'delta';
}

/**
 * The adjustment lines of the changes: a reversing and a new line per changed line (`pair`), or one line with the
 * difference (`delta`). `paid` is the breakdown of each changed line's new version (from the waterfall).
 */
export function adjustmentRows(changes: readonly Change[], paid: ReadonlyMap<string, Breakdown>, mode: 'pair' | 'delta'): AdjustmentRow[] {
  const rows: AdjustmentRow[] = [];
  const zero: Breakdown = { coveredByCommitment: ZERO, coveredByCredits: ZERO, overage: ZERO };
  for (const { old, fresh } of changes) {
    const now = fresh ? { ...fresh, ...(paid.get(fresh.lineId) ?? zero) } : null;
    if (mode === 'delta') {
      const base = (now ?? old)!;
      rows.push({
        ...base,
        kind: 'delta',
        amount: (now?.amount ?? ZERO).minus(old?.amount ?? ZERO),
        quantity: (now?.quantity ?? ZERO).minus(old?.quantity ?? ZERO),
        coveredByCommitment: (now?.coveredByCommitment ?? ZERO).minus(old?.coveredByCommitment ?? ZERO),
        coveredByCredits: (now?.coveredByCredits ?? ZERO).minus(old?.coveredByCredits ?? ZERO),
        overage: (now?.overage ?? ZERO).minus(old?.overage ?? ZERO),
      });
      continue;
    }
    if (old) rows.push({ ...old, kind: 'reversal', amount: old.amount.neg(), quantity: old.quantity.neg(), coveredByCommitment: old.coveredByCommitment.neg(), coveredByCredits: old.coveredByCredits.neg(), overage: old.overage.neg() });
    if (now) rows.push({ ...now, kind: 'new' });
  }
  return rows;
}
