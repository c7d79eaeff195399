/**
 * Property: for random usage and two random rate cards with the same ruleset name, rating with card 1, then
 * re-rating the period with card 2, then applying the adjustments, equals rating with card 2 from scratch:
 *   1. per line id: what card 1 billed (held lines billed nothing) + Σ the re-rate's adjustments = the fresh
 *      card-2 amount, and likewise for what paid it (covered by commitment, covered by credits, overage);
 *   2. per wallet: the balances after the re-rate = the balances after the fresh rating (read from the state,
 *      and as the re-rate reports them);
 *   3. both ledgers verify.
 *
 * Two state files per case, with the same grants: state A is rated with card 1 and re-rated with card 2,
 * state B is rated with card 2 only. They must be separate files: one state refuses to rate the same input
 * twice under one ruleset name (and the same line ids twice), and the re-rated state has to be compared with
 * a rating that owes nothing to it. Each file is opened by one DuckDB instance at a time (a store is closed
 * before runRuleset opens the same file).
 *
 * Everything is in-process from src/, real DuckDB, real files in a fresh temp folder per case. On a failure
 * fast-check prints the seed, the path and the shrunk case (usage, both cards, grants; prices in 10^-4, fees and
 * grants in cents, quantities in thousandths); TALLY_PROPERTY_SEED=<seed> replays a seed. A counterexample
 * found earlier (FREED_CREDIT below) runs first on every run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/diagnostics/diagnostic.js';
import { ZERO, type Decimal } from '../../src/pricing/index.js';
import { compileRulesetText } from '../../src/ruleset/compile.js';
import type { RulesetIR } from '../../src/ruleset/ir.js';
import type { ChargeLine } from '../../src/run/rate.js';
import { rerate } from '../../src/run/rerate.js';
import { runRuleset } from '../../src/run/run.js';
import { addGrants, balances, verifyState, type BalanceRow, type GrantRequest } from '../../src/state/operations.js';
import { StateStore } from '../../src/state/store.js';
import { instant } from '../../src/wallet/instant.js';

const NUM_RUNS = 12;
const SEED = process.env.TALLY_PROPERTY_SEED ? Number(process.env.TALLY_PROPERTY_SEED) : undefined;
const ENGINE = { threads: 1, memoryLimit: '512MB' };

// ---- generated inputs ----

interface Card {
  /** The graduated api tiers: boundary (whole units) and the two unit prices, in 10^-4. */
  boundary: number;
  tier1: number;
  tier2: number;
  /** The storage unit price, in 10^-4. */
  storage: number;
  /** The monthly platform fee, in cents. */
  fee: number;
}

interface Event {
  account: number;
  metric: 'api' | 'storage';
  /** Thousandths of a unit. */
  milli: number;
  day: number;
  second: number;
}

interface Grant {
  account: number;
  cents: number;
  kind: 'purchased' | 'promotional';
  priority: number;
}

interface Case {
  accounts: number;
  events: Event[];
  card1: Card;
  card2: Card;
  grants: Grant[];
}

/** Mostly a cent a unit or less, so that grants pay some lines in full, some in part and leave some balances over. */
const unitPrice = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 999 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 99_999 }) });

const card: fc.Arbitrary<Card> = fc.record({
  boundary: fc.integer({ min: 1, max: 1000 }),
  tier1: unitPrice,
  tier2: unitPrice,
  storage: unitPrice,
  fee: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 9_999 })),
});

const KEYS = ['boundary', 'tier1', 'tier2', 'storage', 'fee'] as const;

/** Card 2 keeps each of card 1's parameters or takes a new one, so that re-rates change some lines and not others. */
const cards: fc.Arbitrary<{ card1: Card; card2: Card }> = fc
  .record({ card1: card, other: card, keep: fc.array(fc.boolean(), { minLength: KEYS.length, maxLength: KEYS.length }) })
  .map(({ card1, other, keep }) => ({ card1, card2: Object.fromEntries(KEYS.map((k, i) => [k, keep[i] ? card1[k] : other[k]])) as unknown as Card }));

const testCase: fc.Arbitrary<Case> = fc.integer({ min: 1, max: 4 }).chain((accounts) =>
  fc.record({
    accounts: fc.constant(accounts),
    events: fc.array(
      fc.record({
        account: fc.integer({ min: 1, max: accounts }),
        metric: fc.constantFrom<'api' | 'storage'>('api', 'storage'),
        milli: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 200_000 })),
        day: fc.integer({ min: 1, max: 31 }),
        second: fc.integer({ min: 0, max: 86_399 }),
      }),
      { minLength: 5, maxLength: 60 },
    ),
    cards,
    grants: fc
      .array(fc.array(fc.record({ cents: fc.integer({ min: 1, max: 10_000 }), kind: fc.constantFrom<'purchased' | 'promotional'>('purchased', 'promotional'), priority: fc.integer({ min: 0, max: 1 }) }), { maxLength: 2 }), { minLength: accounts, maxLength: accounts })
      .map((perAccount) => perAccount.flatMap((gs, i) => gs.map((g) => ({ ...g, account: i + 1 })))),
  }).map(({ cards: { card1, card2 }, ...rest }) => ({ ...rest, card1, card2 })),
);

// ---- rendering ----

const fixed = (units: number, places: number): string => {
  const s = String(units).padStart(places + 1, '0');
  return `${s.slice(0, s.length - places)}.${s.slice(s.length - places)}`;
};
const accountId = (n: number) => `acct-${n}`;
const two = (n: number) => String(n).padStart(2, '0');

function rulesetYaml(c: Card): string {
  return `version: 1
name: rerate-property
ruleset_version: "1"
input:
  format: csv
  fields:
    event_id: { type: string }
    account_id: { type: string }
    ts: { type: timestamp, format: "%Y-%m-%d %H:%M:%S" }
    metric: { type: string }
    quantity: { type: "decimal(18,3)" }
  event_id: event_id
  event_time: ts
billing:
  account: account_id
  currency: USD
  timezone: UTC
  rounding: half_even
  period: month
meters:
  activity: { aggregation: count }
  api: { aggregation: sum, value: quantity, filter: 'metric == "api"' }
  storage: { aggregation: sum, value: quantity, filter: 'metric == "storage"' }
prices:
  - charge: api_calls
    meter: api
    model: graduated
    tiers:
      - { up_to: "${c.boundary}", unit_price: "${fixed(c.tier1, 4)}" }
      - { unit_price: "${fixed(c.tier2, 4)}" }
  - charge: platform_fee
    meter: activity
    model: flat
    amount: "${fixed(c.fee, 2)}"
  - charge: storage
    meter: storage
    model: unit
    unit_price: "${fixed(c.storage, 4)}"
`;
}

function usageCsv(events: readonly Event[]): string {
  const rows = events.map((e, i) => {
    const h = Math.floor(e.second / 3600);
    const m = Math.floor((e.second % 3600) / 60);
    const s = e.second % 60;
    return `ev-${i + 1},${accountId(e.account)},2026-10-${two(e.day)} ${two(h)}:${two(m)}:${two(s)},${e.metric},${fixed(e.milli, 3)}`;
  });
  return `event_id,account_id,ts,metric,quantity\n${rows.join('\n')}\n`;
}

function grantRequests(grants: readonly Grant[]): GrantRequest[] {
  const effectiveAt = instant('2026-01-01', 'effective');
  return grants.map((g) => ({ account: accountId(g.account), amount: fixed(g.cents, 2), kind: g.kind, priority: g.priority, effectiveAt, expiresAt: null }));
}

function compile(dir: string, name: string, text: string): RulesetIR {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  const { ruleset, diagnostics } = compileRulesetText(text, file);
  if (!ruleset) throw new Error(`${name} has errors:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
  return ruleset;
}

// ---- the state steps (each opens and closes its store: one DuckDB instance per file) ----

async function withStore<T>(file: string, f: (store: StateStore) => Promise<T>): Promise<T> {
  const store = await StateStore.open(file);
  try {
    return await f(store);
  } finally {
    store.close();
  }
}

async function grant(file: string, requests: readonly GrantRequest[]): Promise<void> {
  await withStore(file, async (store) => {
    if (requests.length) await addGrants(store, requests, 'test');
  });
}

const norm = (d: Decimal): string => (d.isZero() ? '0' : d.toFixed());
const walletRows = (rows: readonly BalanceRow[]) => rows.map((r) => `${r.kind} ${r.id}: ${norm(r.balance)}`);

/** What a line bills: amount, covered by commitment, covered by credits, overage (a held line bills nothing). */
const NOTHING: Decimal[] = [ZERO, ZERO, ZERO, ZERO];
const billedParts = (l: ChargeLine): Decimal[] => (l.wallet!.held ? NOTHING : [l.priced.amount, l.wallet!.coveredByCommitment, l.wallet!.coveredByCredits, l.wallet!.overage]);
const parts = (p: readonly Decimal[]) => `${norm(p[0]!)} (commitment ${norm(p[1]!)}, credits ${norm(p[2]!)}, overage ${norm(p[3]!)})`;

function addTo(m: Map<string, Decimal[]>, id: string, p: readonly Decimal[]): void {
  const seen = m.get(id) ?? NOTHING;
  m.set(id, seen.map((d, i) => d.plus(p[i]!)));
}

async function check(c: Case): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-rerate-prop-'));
  try {
    const usage = path.join(dir, 'usage.csv');
    fs.writeFileSync(usage, usageCsv(c.events));
    const card1 = compile(dir, 'card1.yaml', rulesetYaml(c.card1));
    const card2 = compile(dir, 'card2.yaml', rulesetYaml(c.card2));
    const requests = grantRequests(c.grants);
    const stateA = path.join(dir, 'a.duckdb');
    const stateB = path.join(dir, 'b.duckdb');

    // State A: card 1, then re-rated with card 2.
    await grant(stateA, requests);
    const first = await runRuleset(card1, [usage], { out: path.join(dir, 'run-a'), format: 'csv', state: stateA, engine: ENGINE });
    const a = await withStore(stateA, async (store) => {
      const r = await rerate(store, card2, [usage], { period: '2026-10', accounts: null, mode: 'pair', dryRun: false, engine: ENGINE });
      return { rerated: r, balances: await balances(store, null, null), problems: await verifyState(store) };
    });

    // State B: card 2 from scratch.
    await grant(stateB, requests);
    const fresh = await runRuleset(card2, [usage], { out: path.join(dir, 'run-b'), format: 'csv', state: stateB, engine: ENGINE });
    const b = await withStore(stateB, async (store) => ({ balances: await balances(store, null, null), problems: await verifyState(store) }));

    // 1. Per line: card 1 (not held) + adjustments = card 2 fresh; the amount, then what paid it.
    const billed = new Map<string, Decimal[]>();
    for (const l of first.lines) addTo(billed, l.lineId, billedParts(l));
    for (const x of a.rerated.adjustments) addTo(billed, x.lineId, [x.amount, x.coveredByCommitment, x.coveredByCredits, x.overage]);
    const expected = new Map<string, Decimal[]>();
    for (const l of fresh.lines) addTo(expected, l.lineId, billedParts(l));
    const describeLine = (id: string) => {
      const l = fresh.lines.find((x) => x.lineId === id) ?? first.lines.find((x) => x.lineId === id);
      return l ? `${l.account} ${l.charge}` : id;
    };
    const amountDiffs: string[] = [];
    const breakdownDiffs: string[] = [];
    for (const id of [...new Set([...billed.keys(), ...expected.keys()])].sort()) {
      const got = billed.get(id) ?? NOTHING;
      const want = expected.get(id) ?? NOTHING;
      if (got.every((d) => d.isZero()) && want.every((d) => d.isZero())) continue;
      if (!got[0]!.eq(want[0]!)) amountDiffs.push(`${describeLine(id)} (${id}): rated + adjustments ${norm(got[0]!)}, fresh ${norm(want[0]!)}`);
      else if (!got.every((d, i) => d.eq(want[i]!))) breakdownDiffs.push(`${describeLine(id)} (${id}): rated + adjustments ${parts(got)}, fresh ${parts(want)}`);
    }
    expect(amountDiffs, 'per line: amount').toEqual([]);
    expect(breakdownDiffs, 'per line: commitment / credits / overage').toEqual([]);

    // 2. Per wallet: the state's balances, and those the re-rate reports (with how each line was paid, to debug).
    const paid = (l: ChargeLine) => `${norm(l.priced.amount)} (credits ${norm(l.wallet!.coveredByCredits)}, overage ${norm(l.wallet!.overage)}${l.wallet!.held ? ', held' : ''})`;
    const story = [...new Set([...first.lines, ...fresh.lines].map((l) => l.lineId))].sort().map((id) => {
      const before = first.lines.find((l) => l.lineId === id);
      const after = fresh.lines.find((l) => l.lineId === id);
      const adjs = a.rerated.adjustments.filter((x) => x.lineId === id).map((x) => `${x.kind} ${norm(x.amount)} (credits ${norm(x.coveredByCredits)}, overage ${norm(x.overage)})`);
      return `\n  ${describeLine(id)} at ${(after ?? before)!.at}: card 1 ${before ? paid(before) : '-'}; adjustments [${adjs.join(', ')}]; fresh ${after ? paid(after) : '-'}`;
    }).join('');
    expect(walletRows(a.balances), `balances in state A after the re-rate; lines:${story}\n`).toEqual(walletRows(b.balances));
    expect(walletRows(a.rerated.balances), 'balances the re-rate reports').toEqual(walletRows(b.balances));

    // 3. Both ledgers hold together.
    expect(a.problems, 'verify state A').toEqual([]);
    expect(b.problems, 'verify state B').toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A counterexample this property found (shrunk by fast-check, then by hand), run first on every run. One
 * account, a 0.01 grant; card 1 charges storage (Oct 1) 0.01 and api_calls (Oct 2) 0.01: storage takes the
 * grant, api_calls is overage. Card 2 makes storage free, api_calls unchanged. Rated fresh with card 2,
 * api_calls takes the grant (balance 0.00); a re-rate that re-applies only the lines whose amount changed
 * leaves api_calls as overage and the 0.01 in the wallet.
 */
const FREED_CREDIT: Case = {
  accounts: 1,
  events: [
    { account: 1, metric: 'storage', milli: 1000, day: 1, second: 0 },
    { account: 1, metric: 'api', milli: 2000, day: 2, second: 0 },
  ],
  card1: { boundary: 1, tier1: 50, tier2: 50, storage: 100, fee: 0 },
  card2: { boundary: 1, tier1: 50, tier2: 50, storage: 0, fee: 0 },
  grants: [{ account: 1, cents: 1, kind: 'purchased', priority: 0 }],
};

describe('rerate (property)', () => {
  it(
    'rating with card 1, re-rating with card 2 and applying the adjustments = rating with card 2, per line and per wallet',
    async () => {
      await fc.assert(fc.asyncProperty(testCase, check), { numRuns: NUM_RUNS, examples: [[FREED_CREDIT]], ...(SEED !== undefined ? { seed: SEED } : {}) });
    },
    120_000,
  );
});
