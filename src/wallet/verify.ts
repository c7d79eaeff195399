/**
 * Conservation: balances recomputed from the ledger alone, in exact arithmetic, compared with what the state
 * reports, and the promises every ledger keeps:
 * - per grant: amount = draw-downs + expiries + voids + repayments + what is left, and what is left is ≥ 0;
 * - per wallet: balance = grants − draw-downs − expiries − voids, and the overdraft never passes its limit;
 * - per commitment: amount = draw-downs + breakage + rollover + what is left, and what is left is ≥ 0.
 */
import { ZERO, type Decimal } from '../pricing/index.js';
import { Position } from './position.js';
import type { Entry } from './types.js';

export interface Reported {
  grants: Map<string, Decimal>;
  overdraft: Map<string, Decimal>;
  commitments: Map<string, Decimal>;
}

/** Replays `entries` on the definitions of `defs` (balances ignored) and lists every difference and broken promise. */
export function verifyLedger(defs: Position, entries: readonly Entry[], reported: Reported): string[] {
  const replay = new Position();
  for (const a of defs.accounts.values()) replay.accounts.set(a.id, a);
  for (const w of defs.wallets.values()) replay.addWallet(w);
  for (const g of defs.grants.values()) replay.addGrant(g);
  for (const c of defs.commitments.values()) replay.addCommitment(c);
  const problems: string[] = [];
  for (const e of entries) {
    if (e.grant !== null && !replay.grants.has(e.grant)) problems.push(`entry of unknown grant ${e.grant}`);
    if (e.commitment !== null && !replay.commitments.has(e.commitment)) problems.push(`entry of unknown commitment ${e.commitment}`);
    replay.applyEntry(e);
    if (e.wallet !== null && e.grant === null) {
      const w = replay.wallets.get(e.wallet);
      if (w && (replay.overdraftUsed.get(w.id) ?? ZERO).gt(w.overdraftLimit)) problems.push(`wallet ${w.id} overdrawn past its limit ${w.overdraftLimit.toFixed()} at ${e.at}`);
    }
  }
  const compare = (what: string, mine: Map<string, Decimal>, theirs: Map<string, Decimal>, floor: boolean) => {
    for (const id of new Set([...mine.keys(), ...theirs.keys()])) {
      const a = mine.get(id) ?? ZERO;
      const b = theirs.get(id) ?? ZERO;
      if (!a.eq(b)) problems.push(`${what} ${id}: the ledger gives ${a.toFixed()}, the state reports ${b.toFixed()}`);
      if (floor && a.lt(0)) problems.push(`${what} ${id} is negative: ${a.toFixed()}`);
    }
  };
  compare('grant', replay.remaining, reported.grants, true);
  compare('overdraft of wallet', replay.overdraftUsed, reported.overdraft, true);
  compare('commitment', replay.commitmentRemaining, reported.commitments, true);
  return problems;
}
