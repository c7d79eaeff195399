/**
 * Settling a run against the state file: the charge lines go through the wallet waterfall and the run lands
 * as one transaction (its record, the files it consumed by content hash, top-up grants, ledger entries and its
 * lines with their breakdown). Exactly once:
 * - the run id is derived from the ruleset and the inputs' hashes, so the same run repeated is recognized and
 *   is a no-op that rewrites its outputs from what was committed;
 * - an input already consumed by another run of the same ruleset name is refused: rating it again would bill
 *   it twice (a corrected rating is `tally rerate`'s job).
 */
import type { StreamOffset } from '../io/sources/source.js';
import { storeOffsets } from '../state/stream-offsets.js';
import { recordSeenEvents } from '../state/seen-events.js';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { DataError } from '../cli/errors.js';
import { dec } from '../pricing/index.js';
import type { RulesetIR } from '../ruleset/ir.js';
import { balanceRows, loadBalances, saveBalances, type BalanceRow } from '../state/operations.js';
import type { StateStore } from '../state/store.js';
import { parseInstant } from '../wallet/instant.js';
import type { Account, Entry, TopUp, WaterfallLine } from '../wallet/types.js';
import { applyDeclared, persistDeclared } from './declared-position.js';
import { runWaterfall } from '../wallet/waterfall.js';
import { sortLines, type ChargeLine } from './rate.js';
import { mergeLateUsage } from './late.js';
import { faultPoint, faultPointDuring } from './fault-points.js';

export interface SettledEntry extends Entry {
  entryId: string;
}

export interface Settlement {
  txnId: string;
  /** The run's lines as billed: late usage merged into groups billed before (src/run/late.ts), each with its breakdown. */
  lines: ChargeLine[];
  /** The run had already been committed: nothing new was written to the state. */
  repeated: boolean;
  dryRun: boolean;
  entries: SettledEntry[];
  topUps: TopUp[];
  balances: BalanceRow[];
}

export interface ConsumedInput {
  file: string;
  sha256: string;
  bytes: number;
}

export function runId(ruleset: RulesetIR, inputs: readonly ConsumedInput[]): string {
  const hashes = inputs.map((i) => i.sha256).sort();
  return `run-${createHash('sha256').update([ruleset.hash, ...hashes].join('\u241f')).digest('hex').slice(0, 16)}`;
}

/** Applies the lines to the state (or, with dryRun, to a copy in memory) and sets each line's breakdown. */
export async function settle(
  store: StateStore,
  ruleset: RulesetIR,
  inputs: readonly ConsumedInput[],
  rated: ChargeLine[],
  opts: {
    dryRun: boolean;
    fileAccounts: readonly Account[];
    offsets?: readonly StreamOffset[];
    /** Keys of the events this run accepted (a Parquet file), for a dedupe across runs. */
    seenEvents?: { file: string; lookbackDays: number | null };
    /**
     * Writes the run's outputs (to a staging folder) from the settlement, inside the state transaction before
     * COMMIT: an output that cannot be written (a full disk) rolls the run back, so the state never records a
     * run whose outputs do not exist.
     */
    beforeCommit?: (settlement: Settlement) => Promise<void>;
  },
): Promise<Settlement> {
  const dryRun = opts.dryRun;
  const txnId = runId(ruleset, inputs);
  const lastAt = rated.reduce((m, l) => (l.at > m ? l.at : m), '0000-01-01 00:00:00.000000');
  if (await store.txnExists(txnId)) {
    const replayed = await replay(store, ruleset, txnId, rated, dryRun);
    await opts.beforeCommit?.(replayed);
    return replayed;
  }

  const consumed = await store.rows(`SELECT DISTINCT i.file, i.txn_id FROM txn_inputs i JOIN txns t USING (txn_id)
    WHERE t.ruleset = '${ruleset.name.replace(/'/g, "''")}' AND i.sha256 IN (${inputs.map((i) => `'${i.sha256}'`).join(', ') || 'NULL'})`);
  if (consumed.length) {
    const list = consumed.map(([file, txn]) => `${file} (run ${txn})`).join(', ');
    throw new DataError(`already rated by ruleset ${ruleset.name}: ${list}; nothing was written`, 'rate only new files, or run with --no-state for a rating that records nothing');
  }
  const periods = [...new Set(rated.map((l) => l.period))];
  const closed = periods.length ? await store.rows(`SELECT period FROM closes WHERE period IN (${periods.map((p) => `'${p.replace(/'/g, "''")}'`).join(', ')}) ORDER BY period`) : [];
  if (closed.length) {
    throw new DataError(`period ${closed.map((r) => r[0]).join(', ')} was already closed (its true-ups and expiries are final); nothing was written`, 'rate usage before closing its period, or run with --no-state to see what it would cost');
  }

  const lines = await mergeLateUsage(store, ruleset, rated);
  const pos = await store.loadPosition();
  const declared = applyDeclared(pos, ruleset, opts.fileAccounts);
  const result = runWaterfall(pos, lines.map(waterfallLine), { topUpId: (n) => `${txnId}-topup-${n}` });
  const entries = [...declared.entries, ...result.entries];
  for (const l of lines) l.wallet = result.breakdown.get(l.lineId)!;
  const balances = balanceRows(pos, null, lastAt);
  const settlement: Settlement = {
    txnId,
    lines,
    repeated: false,
    dryRun,
    entries: entries.map((e, i) => ({ ...e, entryId: `${txnId}:${i + 1}` })),
    topUps: result.topUps,
    balances,
  };
  // A dry run makes the same writes and checks, then rolls them back.
  await store.transaction(async () => {
    await store.recordTxn(txnId, 'run', { lines: lines.length, inputs: inputs.map((i) => i.file), ruleset_file: path.resolve(ruleset.file) }, { name: ruleset.name, sha256: ruleset.hash });
    await store.appendRows('txn_inputs', inputs.map((i) => [txnId, i.sha256, i.file, String(i.bytes)]));
    await persistDeclared(store, declared, `ruleset:${ruleset.name}`);
    for (const t of result.topUps) await store.insertGrant(t.grant, 'topup');
    await store.appendEntries(txnId, entries);
    await store.appendRows('lines', lines.map((l) => lineRow(txnId, l)));
    await refuseLinesBilledTwice(store, txnId);
    await saveBalances(store, txnId, balances);
    await storeOffsets(store, ruleset.name, txnId, opts.offsets ?? []);
    if (opts.seenEvents) await recordSeenEvents(store, ruleset.name, txnId, opts.seenEvents.file, opts.seenEvents.lookbackDays);
    await opts.beforeCommit?.(settlement);
    faultPoint('settle:in-transaction');
  }, { commit: !dryRun });
  if (!dryRun) {
    faultPoint('settle:after-commit');
    faultPointDuring('settle:during-checkpoint');
    await store.checkpoint();
  }
  return settlement;
}

/** The committed run again: its breakdown, entries and the balances right after it, read back from the state. */
async function replay(store: StateStore, ruleset: RulesetIR, txnId: string, rated: ChargeLine[], dryRun: boolean): Promise<Settlement> {
  // The lines as they were billed, rebuilt from the state: amounts (late ones included), breakdowns, prices.
  const byId = new Map(rated.map((l) => [l.lineId, l]));
  const lines: ChargeLine[] = [];
  const billed = await store.textRows(`SELECT line_id, account_id, period, CAST(period_start AS VARCHAR) AS period_start, CAST(period_end AS VARCHAR) AS period_end,
      charge, dims, strftime(incurred_at, '%Y-%m-%d %H:%M:%S.%f') AS incurred_at, CAST(amount AS VARCHAR) AS amount,
      CAST(covered_by_commitment AS VARCHAR) AS covered_by_commitment, CAST(covered_by_credits AS VARCHAR) AS covered_by_credits,
      CAST(overage AS VARCHAR) AS overage, CAST(held AS VARCHAR) AS held, quantity, CAST(price_version AS VARCHAR) AS price_version,
      CAST(late AS VARCHAR) AS late, amount_exact, unit_price, tier_ref, CAST(rowid AS VARCHAR) AS stored_at
      FROM lines WHERE txn_id = '${txnId}'`, 'CAST(stored_at AS BIGINT)');
  // In the order they were stored, which is the order the run wrote them: lines the output order ties (a NULL and
  // an empty dimension value share a label) keep it through the stable sort below, which then has little to do.
  for (const r of billed) {
    const template = byId.get(r[0]!) ?? synthesized(ruleset, r);
    if (!template) throw new DataError(`run ${txnId} is recorded in the state but its line ${r[0]} cannot be rebuilt`, 'run `tally wallet verify`; the state may have been altered by hand');
    lines.push({
      ...template,
      quantity: dec(r[13]!),
      late: r[15] === 'true',
      priced: { exact: dec(r[16]!), amount: dec(r[8]!), unitPrice: r[17] ? dec(r[17]) : null, tierRef: r[18] ?? '' },
      wallet: { coveredByCommitment: dec(r[9]!), coveredByCredits: dec(r[10]!), overage: dec(r[11]!), held: r[12] === 'true' },
    });
  }
  const entries = await store.entries(`txn_id = '${txnId}'`);
  const pos = await store.loadPosition();
  const topUps = entries
    .filter((e) => e.type === 'topup')
    .map((e) => ({ grant: pos.grants.get(e.grant!)!, account: e.account, currency: e.currency, lineId: e.lineId! }));
  return { txnId, lines: sortLines(lines), repeated: true, dryRun, entries: entries.map(({ seq: _s, txnId: _t, ...e }) => e), topUps, balances: await loadBalances(store, txnId) };
}

/** A stored line that this rating does not have (a billed line repriced by late usage), from its stored facts. */
function synthesized(ruleset: RulesetIR, r: (string | null)[]): ChargeLine | null {
  const charge = ruleset.charges.find((c) => c.name === r[5]);
  const meter = charge && ruleset.meters.find((m) => m.name === charge.meter);
  if (!charge || !meter) return null;
  const dims = JSON.parse(r[6]!) as Record<string, string | null>;
  return {
    lineId: r[0]!, account: r[1]!, period: r[2]!, periodStart: r[3]!, periodEnd: r[4]!, charge: charge.name, meter: meter.name, dims,
    dimensionLabel: charge.dimensions.map((d) => dims[d] ?? '').join('|'), version: Number(r[14]), at: r[7]!, quantity: dec(r[13]!), quantityScale: meter.scale,
    currency: charge.pricing.currency, minorUnits: charge.pricing.minorUnits, priced: { exact: dec(0), amount: dec(0), unitPrice: null, tierRef: '' },
  };
}

function waterfallLine(l: ChargeLine): WaterfallLine {
  return { lineId: l.lineId, account: l.account, charge: l.charge, meter: l.meter, dims: l.dims, at: l.at, periodStart: parseInstant(l.periodStart)!, currency: l.currency, minorUnits: l.minorUnits, amount: l.priced.amount };
}

function lineRow(txnId: string, l: ChargeLine): (string | null)[] {
  const w = l.wallet!;
  return [txnId, l.lineId, l.account, l.period, l.periodStart, l.periodEnd, l.charge, l.meter, JSON.stringify(l.dims), l.at, l.currency, l.priced.amount.toFixed(),
    w.coveredByCommitment.toFixed(), w.coveredByCredits.toFixed(), w.overage.toFixed(), String(w.held), l.quantity.toFixed(), String(l.version), String(l.late === true),
    l.priced.exact.toFixed(), l.priced.unitPrice ? l.priced.unitPrice.toFixed() : null, l.priced.tierRef];
}

/**
 * A line id names one account, period, charge, version and dimensions: a second run emitting the same line
 * would bill a period's flat fees again and restart its tiers. Until re-rating exists, that is refused.
 */
async function refuseLinesBilledTwice(store: StateStore, txnId: string): Promise<void> {
  const twice = await store.rows(`SELECT n.account_id, n.period, n.charge, l.txn_id FROM lines n JOIN lines l ON l.line_id = n.line_id AND l.txn_id <> n.txn_id AND NOT l.held
    WHERE n.txn_id = '${txnId}' AND NOT n.late ORDER BY n.account_id, n.period, n.charge LIMIT 3`);
  if (!twice.length) return;
  const list = twice.map(([account, period, charge, txn]) => `${account} ${period} ${charge} (run ${txn})`).join(', ');
  throw new DataError(`these lines were already billed by an earlier run: ${list}; nothing was written`, "rate each period's usage in one run (all its files together), or run with --no-state");
}
