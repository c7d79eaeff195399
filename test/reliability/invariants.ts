/**
 * The promises of issue 7 as named, reusable checks over what a run leaves behind: its output folder and its
 * state file. Each check throws an Error that names the invariant and its first violation, so a failing
 * fault or hostile-input test says which promise broke and where.
 *
 * The state is read by opening the DuckDB file read-only after the CLI has exited (DuckDB replays a WAL left
 * by a killed process in memory, without writing the file), amounts CAST to VARCHAR and read into decimal.js:
 * no amount ever passes through a JS number.
 *
 *   1 checkRowAccounting   manifest.json + rejects.csv text (row-accounting.ts)
 *   2 checkConservation    state: wallets, grants, entries (and `tally wallet balance --json` when given)
 *   3 checkBalancedRun     charges.csv + manifest.json (state.totals)
 *   4 checkDrawdownRules   state: wallets (overdraft limit, draw order), grants (effective, expiry), entries
 *   5 checkRounding        charges.csv (amount_exact, amount) + manifest.json totals, and the rounding mode
 *   6 checkIdempotence     two snapshots (canonical state dump + output bytes) of a run and its repetition
 *   7 checkAtomicity       the state dump after a crash against the dumps before and after the run; the outputs
 *   8 checkRerating        charges.csv of the original run + adjustments.csv of the re-rate against a fresh run
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parse } from 'csv-parse/sync';
import { Decimal } from 'decimal.js';
import { ROOT } from '../helpers/cli.js';

// Invariant 1 lives beside this file (it reads only manifest.json and rejects.csv); re-exported so every check is here.
export { checkRowAccounting } from './row-accounting.js';

export const BIN = path.join(ROOT, 'bin/tally.js');

/** Every output `tally run` writes with a state file and no extra exports. */
export const RUN_OUTPUTS = ['charges.csv', 'rejects.csv', 'wallet-entries.csv', 'balances.csv', 'top-ups.csv', 'manifest.json'] as const;

// A private Decimal: exact, enough precision for DECIMAL(38, 12) sums, never affected by another module's config.
const D = Decimal.clone({ precision: 80, rounding: Decimal.ROUND_HALF_EVEN });
type Dec = Decimal;
const ZERO = new D(0);

function violation(invariant: string, detail: string): never {
  throw new Error(`invariant ${invariant} violated: ${detail}`);
}

// ---------------------------------------------------------------------------------------------------------
// Reading what a run leaves behind
// ---------------------------------------------------------------------------------------------------------

/** The built CLI, synchronously (the caller's env on top of the test process's). */
export function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', env: { ...process.env, ...opts.env } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The built CLI without blocking the event loop: needed whenever the test process itself serves the run
 * (a loopback proxy or server in-process), which a synchronous spawn would deadlock.
 */
export function cliAsync(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A deterministic pseudo-random sequence (mulberry32), so every run of a test sees the same data. */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `f` on a read-only connection to a state file (never changes it, even when a WAL is pending). */
export async function withStateReadOnly<T>(file: string, f: (rows: (sql: string) => Promise<(string | null)[][]>) => Promise<T>): Promise<T> {
  const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const c = await db.connect();
  try {
    return await f(async (sql) => (await c.runAndReadAll(sql)).getRowsJson().map((r) => r.map((v) => (v === null ? null : String(v)))));
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/**
 * Everything the state holds, as canonical text: every table (whatever the schema version), rows in a total
 * order, except the wall-clock time each transaction was recorded at. Two states are equal iff their dumps are.
 */
export async function dumpState(file: string): Promise<string> {
  return withStateReadOnly(file, async (rows) => {
    const tables = (await rows(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name`)).map((r) => r[0]!);
    const parts: string[] = [];
    for (const t of tables) {
      const cols = (await rows(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = '${t}' ORDER BY ordinal_position`)).map((r) => r[0]!);
      const kept = cols.filter((c) => !(t === 'txns' && c === 'recorded_at'));
      const select = kept.map((c) => `CAST("${c}" AS VARCHAR)`).join(', ');
      parts.push(`${t}: ${JSON.stringify(await rows(`SELECT ${select} FROM "${t}" ORDER BY ALL`))}`);
    }
    return parts.join('\n');
  });
}

export interface Snapshot {
  /** dumpState of the state file. */
  state: string;
  /** Output file name → its bytes (absent files left out). */
  outputs: Map<string, Buffer>;
}

export function readOutputs(dir: string, names: readonly string[] = RUN_OUTPUTS): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const n of names) {
    const p = path.join(dir, n);
    if (fs.existsSync(p)) m.set(n, fs.readFileSync(p));
  }
  return m;
}

export async function snapshot(stateFile: string, outDir: string, names: readonly string[] = RUN_OUTPUTS): Promise<Snapshot> {
  return { state: await dumpState(stateFile), outputs: readOutputs(outDir, names) };
}

const csvRows = (text: string) => parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
const readCsv = (file: string) => csvRows(fs.readFileSync(file, 'utf8'));

interface LedgerEntry {
  seq: number;
  txn: string;
  type: string;
  at: string;
  account: string;
  wallet: string | null;
  grant: string | null;
  commitment: string | null;
  line: string | null;
  amount: Dec;
  fiat: Dec | null;
}

interface GrantRow {
  id: string;
  wallet: string;
  amount: Dec;
  kind: string;
  priority: number;
  effectiveAt: string;
  expiresAt: string | null;
}

interface WalletRow {
  id: string;
  currency: string;
  pool: boolean;
  order: string[];
  overdraftLimit: Dec;
  childCapped: boolean;
}

export interface Ledger {
  wallets: Map<string, WalletRow>;
  grants: Map<string, GrantRow>;
  commitments: Map<string, { id: string; amount: Dec }>;
  entries: LedgerEntry[];
}

const TS = (c: string) => `strftime(${c}, '%Y-%m-%d %H:%M:%S.%f')`;

/** The ledger and the definitions it moves, read-only, amounts as exact decimals. */
export async function readLedger(file: string): Promise<Ledger> {
  return withStateReadOnly(file, async (rows) => {
    const wallets = new Map<string, WalletRow>();
    for (const r of await rows(`SELECT wallet_id, currency, CAST(pool AS VARCHAR), draw_order, CAST(overdraft_limit AS VARCHAR), CAST(child_cap IS NOT NULL OR child_caps <> '{}' AS VARCHAR) FROM wallets`)) {
      wallets.set(r[0]!, { id: r[0]!, currency: r[1]!, pool: r[2] === 'true', order: r[3]!.split(','), overdraftLimit: new D(r[4]!), childCapped: r[5] === 'true' });
    }
    const grants = new Map<string, GrantRow>();
    for (const r of await rows(`SELECT grant_id, wallet_id, CAST(amount AS VARCHAR), kind, CAST(priority AS VARCHAR), ${TS('effective_at')}, ${TS('expires_at')} FROM grants`)) {
      grants.set(r[0]!, { id: r[0]!, wallet: r[1]!, amount: new D(r[2]!), kind: r[3]!, priority: Number(r[4]), effectiveAt: r[5]!, expiresAt: r[6] ?? null });
    }
    const commitments = new Map<string, { id: string; amount: Dec }>();
    for (const r of await rows(`SELECT commitment_id, CAST(amount AS VARCHAR) FROM commitments`)) commitments.set(r[0]!, { id: r[0]!, amount: new D(r[1]!) });
    const entries = (await rows(`SELECT CAST(seq AS VARCHAR), txn_id, type, ${TS('occurred_at')}, account_id, wallet_id, grant_id, commitment_id, line_id,
        CAST(amount AS VARCHAR), CAST(fiat_amount AS VARCHAR) FROM entries ORDER BY seq`)).map((r) => ({
      seq: Number(r[0]), txn: r[1]!, type: r[2]!, at: r[3]!, account: r[4]!, wallet: r[5] ?? null, grant: r[6] ?? null, commitment: r[7] ?? null, line: r[8] ?? null,
      amount: new D(r[9]!), fiat: r[10] == null ? null : new D(r[10]),
    }));
    return { wallets, grants, commitments, entries };
  });
}

// ---------------------------------------------------------------------------------------------------------
// 2. Conservation
// ---------------------------------------------------------------------------------------------------------

const CREDITS = new Set(['grant', 'topup']);
const DRAWS = new Set(['drawdown', 'overdraft']);

/**
 * Every wallet balance = grants − draw-downs − expiries − voids + reversals, from the ledger alone; every grant
 * holds its own amount as its first credit and never goes below zero; every prepaid commitment likewise. When
 * `reported` (the JSON of `tally wallet balance --json`) is given, its wallet and commitment balances must equal
 * the recomputed ones exactly.
 */
export async function checkConservation(stateFile: string, reported?: { kind: string; id: string; balance: string }[]): Promise<void> {
  const inv = '2 (conservation)';
  const { wallets, grants, commitments, entries } = await readLedger(stateFile);
  const perWallet = new Map<string, { grants: Dec; draws: Dec; expiries: Dec; voids: Dec; reversals: Dec; repays: Dec }>();
  const grantLeft = new Map<string, Dec>();
  const grantCredited = new Map<string, Dec>();
  const commitmentLeft = new Map<string, Dec>();
  const known = new Set(['grant', 'topup', 'drawdown', 'overdraft', 'repay', 'expiry', 'void', 'commitment', 'commitment_drawdown', 'commitment_breakage', 'commitment_rollover']);
  for (const e of entries) {
    if (!known.has(e.type)) violation(inv, `entry ${e.seq} has an unknown type ${e.type}`);
    if (e.grant !== null) {
      if (!grants.has(e.grant)) violation(inv, `entry ${e.seq} moves unknown grant ${e.grant}`);
      if (grants.get(e.grant)!.wallet !== e.wallet) violation(inv, `entry ${e.seq} moves grant ${e.grant} under wallet ${e.wallet}, not its own`);
      grantLeft.set(e.grant, (grantLeft.get(e.grant) ?? ZERO).plus(e.amount));
      if (CREDITS.has(e.type)) grantCredited.set(e.grant, (grantCredited.get(e.grant) ?? ZERO).plus(e.amount));
      if (grantLeft.get(e.grant)!.lt(0)) violation(inv, `grant ${e.grant} goes below zero (${grantLeft.get(e.grant)!.toFixed()}) at entry ${e.seq}`);
    }
    if (e.commitment !== null) {
      if (!commitments.has(e.commitment)) violation(inv, `entry ${e.seq} moves unknown commitment ${e.commitment}`);
      commitmentLeft.set(e.commitment, (commitmentLeft.get(e.commitment) ?? ZERO).plus(e.amount));
      if (commitmentLeft.get(e.commitment)!.lt(0)) violation(inv, `commitment ${e.commitment} goes below zero at entry ${e.seq}`);
    }
    if (e.wallet === null) continue;
    if (!wallets.has(e.wallet)) violation(inv, `entry ${e.seq} moves unknown wallet ${e.wallet}`);
    const w = perWallet.get(e.wallet) ?? { grants: ZERO, draws: ZERO, expiries: ZERO, voids: ZERO, reversals: ZERO, repays: ZERO };
    if (CREDITS.has(e.type)) w.grants = w.grants.plus(e.amount);
    // A draw-down is negative; a positive one is a re-rate reversing an earlier draw-down.
    else if (DRAWS.has(e.type) && e.amount.lt(0)) w.draws = w.draws.minus(e.amount);
    else if (DRAWS.has(e.type)) w.reversals = w.reversals.plus(e.amount);
    else if (e.type === 'expiry') w.expiries = w.expiries.minus(e.amount);
    else if (e.type === 'void') w.voids = w.voids.minus(e.amount);
    else if (e.type === 'repay') w.repays = w.repays.plus(e.amount);
    else violation(inv, `entry ${e.seq} of type ${e.type} names wallet ${e.wallet}`);
    perWallet.set(e.wallet, w);
  }
  for (const g of grants.values()) {
    const credited = grantCredited.get(g.id) ?? ZERO;
    if (!credited.eq(g.amount)) violation(inv, `grant ${g.id} of ${g.amount.toFixed()} was credited ${credited.toFixed()} in the ledger`);
  }
  const balances = new Map<string, Dec>();
  for (const id of wallets.keys()) {
    const w = perWallet.get(id) ?? { grants: ZERO, draws: ZERO, expiries: ZERO, voids: ZERO, reversals: ZERO, repays: ZERO };
    // A repayment is a pair (grant −x, overdraft +x) inside one wallet: it must net to zero.
    if (!w.repays.isZero()) violation(inv, `wallet ${id}: repayments do not net to zero (${w.repays.toFixed()})`);
    const balance = w.grants.minus(w.draws).minus(w.expiries).minus(w.voids).plus(w.reversals);
    // The same balance from the other side: what is left in its grants minus its overdraft in use.
    let left = ZERO;
    for (const g of grants.values()) if (g.wallet === id) left = left.plus(grantLeft.get(g.id) ?? ZERO);
    const overdraft = entries.filter((e) => e.wallet === id && e.grant === null).reduce((s, e) => s.minus(e.amount), ZERO);
    if (!balance.eq(left.minus(overdraft))) violation(inv, `wallet ${id}: grants − draw-downs − expiries − voids + reversals = ${balance.toFixed()}, but its grants hold ${left.toFixed()} less an overdraft of ${overdraft.toFixed()}`);
    balances.set(id, balance);
  }
  for (const id of commitments.keys()) if (!commitmentLeft.has(id)) commitmentLeft.set(id, ZERO);
  for (const r of reported ?? []) {
    const mine = r.kind === 'wallet' ? balances.get(r.id) : r.kind === 'commitment' ? commitmentLeft.get(r.id) : undefined;
    if (mine === undefined) violation(inv, `the state reports a ${r.kind} ${r.id} the ledger does not know`);
    if (!mine.eq(new D(r.balance))) violation(inv, `${r.kind} ${r.id}: the ledger gives ${mine.toFixed()}, tally wallet balance reports ${r.balance}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// 3. Balanced runs
// ---------------------------------------------------------------------------------------------------------

/**
 * Per line: amount = covered_by_commitment + covered_by_credits + overage (a held line: all three zero); per
 * currency: the sums equal the manifest's state totals, and the charges equal commitments + credits + overage.
 */
export function checkBalancedRun(outDir: string): void {
  const inv = '3 (balanced runs)';
  const manifest = JSON.parse(fs.readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as { state?: { totals: Record<string, Record<string, string>> } };
  const sums = new Map<string, { charges: Dec; c: Dec; cr: Dec; o: Dec }>();
  for (const l of readCsv(path.join(outDir, 'charges.csv'))) {
    for (const col of ['amount', 'covered_by_commitment', 'covered_by_credits', 'overage', 'currency', 'status']) {
      if (l[col] === undefined) violation(inv, `charges.csv has no ${col} column`);
    }
    const [a, c, cr, o] = [l.amount!, l.covered_by_commitment!, l.covered_by_credits!, l.overage!].map((x) => new D(x));
    const held = l.status === 'held';
    if (held && !(c!.isZero() && cr!.isZero() && o!.isZero())) violation(inv, `held line ${l.line_id} has a breakdown ${c} + ${cr} + ${o}`);
    if (!held && !c!.plus(cr!).plus(o!).eq(a!)) violation(inv, `line ${l.line_id}: ${c} + ${cr} + ${o} ≠ amount ${a}`);
    const s = sums.get(l.currency!) ?? { charges: ZERO, c: ZERO, cr: ZERO, o: ZERO };
    sums.set(l.currency!, { charges: s.charges.plus(held ? ZERO : a!), c: s.c.plus(c!), cr: s.cr.plus(cr!), o: s.o.plus(o!) });
  }
  for (const [cur, s] of sums) {
    if (!s.charges.eq(s.c.plus(s.cr).plus(s.o))) violation(inv, `${cur}: charges ${s.charges} ≠ commitments ${s.c} + credits ${s.cr} + overage ${s.o}`);
    const t = manifest.state?.totals[cur];
    if (!manifest.state) continue; // a --no-state run: every line is overage, checked per line above
    if (!t) violation(inv, `the manifest has no state totals for ${cur}`);
    for (const [k, v] of [['covered_by_commitment', s.c], ['covered_by_credits', s.cr], ['overage', s.o]] as const) {
      if (!new D(t[k]!).eq(v)) violation(inv, `${cur} ${k}: the manifest says ${t[k]}, the lines sum to ${v.toFixed()}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// 4. Overdraft limit, grant validity, draw-down order
// ---------------------------------------------------------------------------------------------------------

const KIND_RANK = ['promotional', 'gift_card', 'revenue_block', 'purchased', 'deposit'];

/** The documented draw-down order (README, "The waterfall"), written independently of src/wallet/waterfall.ts. */
function drawOrder(order: readonly string[]): (a: GrantRow, b: GrantRow) => number {
  const cmp = (x: string | number, y: string | number) => (x < y ? -1 : x > y ? 1 : 0);
  return (a, b) => {
    for (const k of order) {
      const c = k === 'priority' ? a.priority - b.priority
        : k === 'expiry' ? (a.expiresAt === b.expiresAt ? 0 : a.expiresAt === null ? 1 : b.expiresAt === null ? -1 : cmp(a.expiresAt, b.expiresAt))
        : k === 'kind' ? KIND_RANK.indexOf(a.kind) - KIND_RANK.indexOf(b.kind)
        : k === 'age' ? cmp(a.effectiveAt, b.effectiveAt) : 0;
      if (c !== 0) return c;
    }
    return cmp(a.id, b.id);
  };
}

/**
 * Replaying the ledger in order: no wallet's overdraft ever passes its limit; every draw-down is from a grant
 * usable at the line's instant ([effective, expiry)); and inside a wallet a line draws grants in the wallet's
 * order, passing a grant only when it holds less than one cent (whole cents are drawn per grant). Pools with
 * per-child caps and virtual-currency wallets are checked for validity and limits, not for order: a cap or a
 * conversion can stop a draw-down short of a grant's remainder.
 */
export async function checkDrawdownRules(stateFile: string, minorUnit = '0.01'): Promise<void> {
  const inv = '4 (no overdraft past the limit, no draw-down from an unusable grant, documented order)';
  const { wallets, grants, entries } = await readLedger(stateFile);
  const cent = new D(minorUnit);
  const left = new Map<string, Dec>();
  const overdraft = new Map<string, Dec>();
  // Entries of one line's application in one wallet, in order: [line, wallet] → entries.
  let i = 0;
  while (i < entries.length) {
    const e = entries[i]!;
    // Collect one line's consecutive draw-downs from one wallet (same txn, same line).
    if (e.type === 'drawdown' && e.amount.lt(0) && e.line !== null) {
      const group: LedgerEntry[] = [];
      while (i < entries.length && entries[i]!.type === 'drawdown' && entries[i]!.amount.lt(0) && entries[i]!.line === e.line && entries[i]!.txn === e.txn && entries[i]!.wallet === e.wallet) group.push(entries[i++]!);
      const w = wallets.get(e.wallet!)!;
      // A per-child cap can stop a pool's draw-down short of a grant's remainder: order only, there.
      const ordered = !w.childCapped;
      const cmp = drawOrder(w.order);
      const usable = (g: GrantRow, at: string) => g.effectiveAt <= at && (g.expiresAt === null || at < g.expiresAt);
      for (const [k, d] of group.entries()) {
        const g = grants.get(d.grant!)!;
        if (!usable(g, d.at)) violation(inv, `entry ${d.seq} draws grant ${g.id} at ${d.at}, outside [${g.effectiveAt}, ${g.expiresAt ?? '∞'})`);
        if (k > 0 && cmp(grants.get(group[k - 1]!.grant!)!, g) >= 0) violation(inv, `line ${d.line} draws grant ${g.id} after ${group[k - 1]!.grant} in wallet ${w.id}, against its order ${w.order.join(',')}`);
      }
      // Same-currency draws are whole cents (fiat = amount); a virtual-currency wallet converts, so only the order is checked.
      const sameCurrency = group.every((d) => d.fiat !== null && d.fiat.eq(d.amount));
      if (ordered && sameCurrency) {
        const last = grants.get(group[group.length - 1]!.grant!)!;
        // Every usable grant ranked before the last one drawn must hold less than a cent after this line.
        const after = new Map(left);
        for (const d of group) after.set(d.grant!, (after.get(d.grant!) ?? ZERO).plus(d.amount));
        for (const g of grants.values()) {
          if (g.wallet !== w.id || !usable(g, e.at) || cmp(g, last) >= 0) continue;
          if ((after.get(g.id) ?? ZERO).gte(cent)) violation(inv, `line ${e.line} drew grant ${last.id} of wallet ${w.id} while ${g.id}, earlier in its order, still held ${(after.get(g.id) ?? ZERO).toFixed()}`);
        }
      }
      for (const d of group) left.set(d.grant!, (left.get(d.grant!) ?? ZERO).plus(d.amount));
      continue;
    }
    if (e.grant !== null) left.set(e.grant, (left.get(e.grant) ?? ZERO).plus(e.amount));
    if (e.wallet !== null && e.grant === null) {
      const used = (overdraft.get(e.wallet) ?? ZERO).minus(e.amount);
      overdraft.set(e.wallet, used);
      const limit = wallets.get(e.wallet)!.overdraftLimit;
      if (used.gt(limit)) violation(inv, `wallet ${e.wallet} overdrawn ${used.toFixed()} past its limit ${limit.toFixed()} at entry ${e.seq}`);
    }
    i++;
  }
}

// ---------------------------------------------------------------------------------------------------------
// 5. Rounding
// ---------------------------------------------------------------------------------------------------------

/**
 * Each line's amount is its exact amount rounded once, in `mode`, to the places the amount is written with
 * (the currency's minor units); the manifest's totals are the sums of the rounded lines (and of the exact ones).
 */
export function checkRounding(outDir: string, mode: 'half_even' | 'half_up' = 'half_even'): void {
  const inv = '5 (rounding)';
  const rm = mode === 'half_up' ? Decimal.ROUND_HALF_UP : Decimal.ROUND_HALF_EVEN;
  const manifest = JSON.parse(fs.readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as { totals: Record<string, { amount: string; amount_exact: string; lines: number }> };
  const sums = new Map<string, { amount: Dec; exact: Dec; lines: number }>();
  for (const l of readCsv(path.join(outDir, 'charges.csv'))) {
    if (l.amount_exact === undefined) violation(inv, 'charges.csv has no amount_exact column');
    const places = (l.amount!.split('.')[1] ?? '').length;
    const want = new D(l.amount_exact).toDecimalPlaces(places, rm);
    if (!want.eq(new D(l.amount!))) violation(inv, `line ${l.line_id}: amount ${l.amount} is not ${mode}(${l.amount_exact}) = ${want.toFixed(places)}`);
    const s = sums.get(l.currency!) ?? { amount: ZERO, exact: ZERO, lines: 0 };
    sums.set(l.currency!, { amount: s.amount.plus(l.amount!), exact: s.exact.plus(l.amount_exact), lines: s.lines + 1 });
  }
  for (const [cur, t] of Object.entries(manifest.totals)) {
    const s = sums.get(cur) ?? { amount: ZERO, exact: ZERO, lines: 0 };
    if (!new D(t.amount).eq(s.amount)) violation(inv, `${cur}: the manifest total ${t.amount} is not the sum of the rounded lines ${s.amount.toFixed()}`);
    if (!new D(t.amount_exact).eq(s.exact)) violation(inv, `${cur}: the manifest exact total ${t.amount_exact} is not the sum of the exact lines ${s.exact.toFixed()}`);
    if (t.lines !== s.lines) violation(inv, `${cur}: the manifest counts ${t.lines} lines, charges.csv has ${s.lines}`);
  }
  for (const cur of sums.keys()) if (!manifest.totals[cur]) violation(inv, `the manifest has no total for ${cur}`);
}

// ---------------------------------------------------------------------------------------------------------
// 6. Idempotence, 7. Atomicity
// ---------------------------------------------------------------------------------------------------------

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const line = a.slice(0, i).split('\n').length;
  return `line ${line}: ${JSON.stringify(a.slice(Math.max(0, i - 60), i + 60))} vs ${JSON.stringify(b.slice(Math.max(0, i - 60), i + 60))}`;
}

/**
 * The manifest without what differs between two runs of the same inputs by design: its timings, whether the
 * run was the first or a repetition, and the state file's path (tests run copies of one state). Everything else
 * in it must be byte-identical.
 */
function stableManifest(bytes: Buffer): Buffer {
  const m = JSON.parse(bytes.toString('utf8')) as { timings_ms?: unknown; state?: { repeated?: boolean; file?: string } };
  delete m.timings_ms;
  if (m.state) {
    delete m.state.repeated;
    delete m.state.file;
  }
  return Buffer.from(JSON.stringify(m, null, 2));
}

function compareOutputs(inv: string, want: Map<string, Buffer>, got: Map<string, Buffer>, what: string): void {
  for (const [name, raw] of want) {
    const g0 = got.get(name);
    if (!g0) violation(inv, `${what}: ${name} is missing`);
    const [bytes, g] = name === 'manifest.json' ? [stableManifest(raw), stableManifest(g0)] : [raw, g0];
    if (!g.equals(bytes)) violation(inv, `${what}: ${name} differs at ${firstDifference(bytes.toString('utf8'), g.toString('utf8'))}`);
  }
  for (const name of got.keys()) if (!want.has(name)) violation(inv, `${what}: ${name} was written but not expected`);
}

/**
 * A run repeated with the same inputs adds nothing to the state and rewrites byte-identical outputs (the
 * manifest: all but its timings, its `state.repeated` flag and the state file's path).
 */
export function checkIdempotence(first: Snapshot, repeated: Snapshot): void {
  const inv = '6 (idempotence)';
  if (first.state !== repeated.state) violation(inv, `the repeated run changed the state: ${firstDifference(first.state, repeated.state)}`);
  compareOutputs(inv, first.outputs, repeated.outputs, 'the repeated run');
}

/**
 * After a crash the state equals the state before the run or after it, never between; the outputs are absent
 * (none of them in the folder) or complete (all of them, byte-identical to the uninterrupted run's). Returns
 * which side of the commit the crash left the state on.
 */
export function checkAtomicity(crashed: Snapshot, before: string, after: Snapshot): 'before' | 'after' {
  const inv = '7 (atomicity)';
  const side = crashed.state === before ? 'before' : crashed.state === after.state ? 'after' : null;
  if (side === null) violation(inv, `the state after the crash is neither the state before the run nor after it: ${firstDifference(after.state, crashed.state)}`);
  // manifest.json marks a complete set (src/io/sinks/output-dir.ts): it is removed before the first rename and
  // renamed last, so files without it are a set being replaced, never one a reader may take as complete.
  if (crashed.outputs.has('manifest.json')) {
    compareOutputs(inv, after.outputs, crashed.outputs, 'outputs left by the crashed run (absent or complete)');
    if (side === 'before') violation(inv, 'the outputs were complete but the state is from before the run');
  }
  return side;
}

/**
 * Draw-downs of one line made more than once: lines whose draw-down entries (credits, overdraft, commitments)
 * outnumber or outweigh those of the uninterrupted run's state. 0 when nothing was drawn twice.
 */
export async function doubleDrawdowns(stateFile: string, referenceFile: string): Promise<number> {
  const draws = async (file: string) => {
    const m = new Map<string, { n: number; sum: Dec }>();
    for (const e of (await readLedger(file)).entries) {
      if (e.line === null || !['drawdown', 'overdraft', 'commitment_drawdown'].includes(e.type)) continue;
      const s = m.get(e.line) ?? { n: 0, sum: ZERO };
      m.set(e.line, { n: s.n + 1, sum: s.sum.plus(e.amount) });
    }
    return m;
  };
  const [got, want] = await Promise.all([draws(stateFile), draws(referenceFile)]);
  let doubled = 0;
  for (const [line, g] of got) {
    const w = want.get(line) ?? { n: 0, sum: ZERO };
    if (g.n > w.n || g.sum.lt(w.sum)) doubled++;
  }
  return doubled;
}

// ---------------------------------------------------------------------------------------------------------
// 8. Re-rating
// ---------------------------------------------------------------------------------------------------------

/**
 * Per line id: what the original run billed (held lines bill nothing) + Σ the re-rate's adjustments = what a
 * fresh rating of the corrected inputs bills, for the amount and for each part of its breakdown. The same
 * identity as test/rerate/property.test.ts (which checks it in-process on random cases), here over the CSV
 * outputs a user gets: original charges.csv, the re-rate's adjustments.csv, the fresh charges.csv.
 */
export function checkRerating(originalOut: string, rerateOut: string, freshOut: string): void {
  const inv = '8 (re-rating)';
  const cols = ['amount', 'covered_by_commitment', 'covered_by_credits', 'overage'] as const;
  const add = (m: Map<string, Dec[]>, id: string, row: Record<string, string>, held: boolean) => {
    const seen = m.get(id) ?? cols.map(() => ZERO);
    m.set(id, seen.map((d, i) => (held ? d : d.plus(row[cols[i]!]!))));
  };
  const billed = new Map<string, Dec[]>();
  for (const l of readCsv(path.join(originalOut, 'charges.csv'))) add(billed, l.line_id!, l, l.status === 'held');
  for (const a of readCsv(path.join(rerateOut, 'adjustments.csv'))) add(billed, a.line_id!, a, false);
  const fresh = new Map<string, Dec[]>();
  for (const l of readCsv(path.join(freshOut, 'charges.csv'))) add(fresh, l.line_id!, l, l.status === 'held');
  for (const id of [...new Set([...billed.keys(), ...fresh.keys()])].sort()) {
    const got = billed.get(id) ?? cols.map(() => ZERO);
    const want = fresh.get(id) ?? cols.map(() => ZERO);
    for (const [i, c] of cols.entries()) {
      if (!got[i]!.eq(want[i]!)) violation(inv, `line ${id} ${c}: original + adjustments = ${got[i]!.toFixed()}, a fresh rating gives ${want[i]!.toFixed()}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// A workload for the fault tests: S1's ruleset, random usage, and a state with every kind of thing a run
// moves (grants that expire mid-month or start mid-month, wallets that overdraw and top themselves up, prepaid
// commitments), so a crash can land between any two of the writes that settle a run.
// ---------------------------------------------------------------------------------------------------------

export interface Workload {
  dir: string;
  ruleset: string;
  usage: string;
  /** The state before the run (checkpointed, no WAL): copy it for each attempt. */
  baseState: string;
  runArgs: (state: string, out: string) => string[];
}

export function buildWorkload(dir: string, opts: { rows: number; accounts: number; seed: number }): Workload {
  const s1 = fs.readFileSync(path.join(ROOT, 'rulesets/bench/s1.yaml'), 'utf8');
  // S1 with the default output columns, so charges.csv carries amount_exact, the breakdown and the status.
  const ruleset = path.join(dir, 's1.yaml');
  fs.writeFileSync(ruleset, s1.slice(0, s1.indexOf('\noutputs:')));
  const rand = random(opts.seed);
  const acct = (a: number) => `acct-${String(a).padStart(4, '0')}`;
  const two = (n: number) => String(n).padStart(2, '0');
  const metrics = ['api_call', 'storage_gb_hour', 'compute_sec', 'egress_gb'];
  const regions = ['us-east', 'eu-west', 'ap-south'];
  const rows = ['event_id,account_id,ts,metric,region,quantity'];
  for (let i = 0; i < opts.rows; i++) {
    const sec = Math.floor(rand() * 86400);
    const ts = `2026-10-${two(1 + Math.floor(rand() * 31))} ${two(Math.floor(sec / 3600))}:${two(Math.floor(sec / 60) % 60)}:${two(sec % 60)}`;
    rows.push(`e${i},${acct(Math.floor(rand() * opts.accounts))},${ts},${metrics[Math.floor(rand() * 4)]},${regions[Math.floor(rand() * 3)]},${(rand() * 50).toFixed(3)}`);
  }
  // A few rejects, so row accounting has something to count.
  rows.push(`bad-1,${acct(0)},2026-10-03 10:00:00,api_call,us-east,ten`, `bad-2,${acct(1)},2026-10-03 10:00:00,teleport,us-east,1.000`);
  const usage = path.join(dir, 'usage.csv');
  fs.writeFileSync(usage, `${rows.join('\n')}\n`);
  const kinds = ['promotional', 'purchased', 'gift_card', 'deposit'];
  const grants = ['account_id,amount,kind,priority,effective_at,expires_at'];
  for (let a = 0; a < opts.accounts; a++) {
    for (let g = 0; g < 1 + Math.floor(rand() * 3); g++) {
      const effective = rand() < 0.15 ? `2026-10-${two(10 + Math.floor(rand() * 10))}` : '';
      const expires = rand() < 0.3 ? `2026-10-${two(20 + Math.floor(rand() * 8))}` : '';
      grants.push(`${acct(a)},${(rand() * 40).toFixed(2)},${kinds[Math.floor(rand() * 4)]},${Math.floor(rand() * 3)},${effective},${expires}`);
    }
  }
  const baseState = path.join(dir, 'base.duckdb');
  const must = (args: string[]) => {
    const r = cli([...args, '--state', baseState], { cwd: dir });
    if (r.code !== 0) throw new Error(`tally ${args.join(' ')}: ${r.stderr}`);
  };
  for (let a = 0; a < 5; a++) {
    must(['wallet', 'create', `topup-${a}`, '--account', acct(a), '--priority', '1', '--overdraft-limit', '5', '--top-up-below', '2', '--top-up-amount', '15', '--top-up-max', '2']);
  }
  for (let a = 5; a < 8; a++) must(['commit', 'add', acct(a), '--kind', 'prepaid', '--amount', '25', '--start', '2026-10-01', '--end', '2026-11-01']);
  must(['wallet', 'import', path.join(dir, 'grants.csv')].map((x, i) => (i === 2 ? (fs.writeFileSync(x, `${grants.join('\n')}\n`), x) : x)));
  return { dir, ruleset, usage, baseState, runArgs: (state, out) => ['run', ruleset, usage, '-o', out, '--state', state, '-q'] };
}
