/**
 * `tally rerate` through the CLI: a period billed with one rate card, re-rated after a tier price change and a
 * higher monthly fee. Hand-checked adjustments, and the identity that matters: original + adjustments equals a
 * fresh rating with the corrected rate card, per line and per wallet.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { ROOT, tally, tempDir, write } from '../helpers/cli.js';
import { unitsRuleset } from '../helpers/units-ruleset.js';

const RULESET = path.join(ROOT, 'rulesets/examples/cloud-api.yaml');
const USAGE = path.join(ROOT, 'fixtures/usage/cloud-api.csv');
const csv = (file: string) => parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
const ok = (r: { code: number; stderr: string }) => expect(r.code, r.stderr).toBe(0);
const cents = (s: string) => Math.round(Number(s) * 100);

/** The first API tier from 0.0010 to 0.0012 a request, and the platform fee from 49.00 to 59.00. */
function corrected(dir: string): string {
  const text = fs.readFileSync(RULESET, 'utf8');
  expect(text).toContain('{ up_to: "10000", unit_price: "0.0010" }');
  return write(dir, 'cloud-api.yaml', text
    .replace('{ up_to: "10000", unit_price: "0.0010" }', '{ up_to: "10000", unit_price: "0.0012" }')
    .replace('amount: "49.00"', 'amount: "59.00"')
    .replaceAll('../../fixtures/', `${ROOT}/fixtures/`));
}

/** Billed per line id: the run's lines plus every adjustment of it. */
function billed(run: string, ...adjustments: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of csv(path.join(run, 'charges.csv'))) if (l.status !== 'held') m.set(l.line_id!, (m.get(l.line_id!) ?? 0) + cents(l.amount!));
  for (const dir of adjustments) for (const a of csv(path.join(dir, 'adjustments.csv'))) m.set(a.line_id!, (m.get(a.line_id!) ?? 0) + cents(a.amount!));
  for (const [k, v] of m) if (v === 0) m.delete(k);
  return m;
}

describe('tally rerate', () => {
  it('after a tier change: hand-checked adjustments; original + adjustments = a fresh rating, lines and wallets', () => {
    const dir = tempDir();
    const fixed = corrected(dir);
    const state = path.join(dir, 'state.duckdb');
    const fresh = path.join(dir, 'fresh.duckdb');
    for (const s of [state, fresh]) ok(tally(['wallet', 'grant', 'acct-acme', '--amount', '80', '--state', s]));
    ok(tally(['run', RULESET, USAGE, '-o', path.join(dir, 'run'), '--state', state]));
    ok(tally(['rerate', USAGE, '--period', '2026-10', '--ruleset', fixed, '-o', path.join(dir, 'rr'), '--state', state]));
    ok(tally(['run', fixed, USAGE, '-o', path.join(dir, 'fresh'), '--state', fresh]));

    const adj = csv(path.join(dir, 'rr/adjustments.csv'));
    // Every changed line is reversed whole and billed anew: 3 platform fees and 4 API lines change.
    expect(adj.filter((a) => a.kind === 'reversal')).toHaveLength(7);
    expect(adj.filter((a) => a.kind === 'new')).toHaveLength(7);
    const change = (account: string, charge: string) => adj.filter((a) => a.account_id === account && a.charge === charge).reduce((s, a) => s + cents(a.amount!), 0);
    // acme sent 20,600 requests: its first 10,000 cost 0.0002 more each, +2.00; each fee is +10.00.
    expect(change('acct-acme', 'api_requests')).toBe(200);
    for (const account of ['acct-acme', 'acct-globex', 'acct-hooli']) expect(change(account, 'platform_fee')).toBe(1000);
    expect(adj.reduce((s, a) => s + cents(a.amount!), 0)).toBe(3589);

    // The identity: per line, and per wallet.
    expect(billed(path.join(dir, 'run'), path.join(dir, 'rr'))).toEqual(billed(path.join(dir, 'fresh')));
    expect(fs.readFileSync(path.join(dir, 'rr/balances.csv'), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'fresh/balances.csv'), 'utf8'));
    // acme's 80.00: 0.12 + 7.16 + 20.48 + 0.96 drawn before its fee on Oct 31, which gets the 51.28 left.
    const fee = adj.find((a) => a.account_id === 'acct-acme' && a.charge === 'platform_fee' && a.kind === 'new')!;
    expect([fee.covered_by_credits, fee.overage]).toEqual(['51.28', '7.72']);
    ok(tally(['wallet', 'verify', '--state', state]));

    // The same re-rate again records nothing and rewrites the same outputs.
    const again = tally(['rerate', USAGE, '--period', '2026-10', '--ruleset', fixed, '-o', path.join(dir, 'rr2'), '--state', state]);
    ok(again);
    expect(again.stdout).toMatch(/already re-rated/);
    for (const f of ['adjustments.csv', 'wallet-entries.csv', 'balances.csv']) expect(fs.readFileSync(path.join(dir, 'rr2', f), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'rr', f), 'utf8'));
    // Re-rating back with the original rate card undoes it exactly (the default ruleset is the one the period was run with).
    ok(tally(['rerate', USAGE, '--period', '2026-10', '-o', path.join(dir, 'back'), '--state', state]));
    expect(billed(path.join(dir, 'run'), path.join(dir, 'rr'), path.join(dir, 'back'))).toEqual(billed(path.join(dir, 'run')));
    expect(fs.readFileSync(path.join(dir, 'back/balances.csv'), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'run/balances.csv'), 'utf8'));
  });

  it('--mode delta writes one line per change, and --accounts limits the re-rate', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    ok(tally(['run', RULESET, USAGE, '-o', path.join(dir, 'run'), '--state', state]));
    ok(tally(['rerate', USAGE, '--period', '2026-10', '--ruleset', corrected(dir), '--mode', 'delta', '--accounts', 'acct-acme', '-o', path.join(dir, 'rr'), '--state', state, '--dry-run']));
    const adj = csv(path.join(dir, 'rr/adjustments.csv'));
    expect(adj.map((a) => [a.kind, a.account_id, a.charge, a.amount])).toEqual([
      ['delta', 'acct-acme', 'api_requests', '2.00'],
      ['delta', 'acct-acme', 'platform_fee', '10.00'],
    ]);
    // A dry run recorded nothing: the real re-rate still finds the change.
    ok(tally(['rerate', USAGE, '--period', '2026-10', '--ruleset', corrected(dir), '--mode', 'delta', '--accounts', 'acct-acme', '-o', path.join(dir, 'rr2'), '--state', state]));
    expect(csv(path.join(dir, 'rr2/adjustments.csv'))).toHaveLength(2);
  });

  it('refuses a period nothing was billed for, or a missing state file', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    expect(tally(['rerate', USAGE, '--period', '2026-10', '-o', path.join(dir, 'x'), '--state', state]).stderr).toContain('there is no state file');
    ok(tally(['run', RULESET, USAGE, '-o', path.join(dir, 'run'), '--state', state]));
    const r = tally(['rerate', USAGE, '--period', '2026-07', '--ruleset', RULESET, '-o', path.join(dir, 'x'), '--state', state]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nothing was billed for period 2026-07');
  });
});

describe('tally rerate, edge cases found in review', () => {
  const small = (price: string, name = 'od') => unitsRuleset(name, `  - { charge: api, meter: units, model: unit, unit_price: "${price}" }\n`);
  const usage = 'event_id,account_id,ts,units\ne1,acme,2026-10-10 12:00:00,30\n';

  it('an overdraft repaid by a top-up is re-rated to the balances of a fresh rating', () => {
    const dir = tempDir();
    const u = write(dir, 'u.csv', usage);
    const wallet = ['wallet', 'create', 'w', '--account', 'acme', '--overdraft-limit', '50', '--top-up-below', '10', '--top-up-amount', '50', '--state'];
    ok(tally([...wallet, path.join(dir, 's.duckdb')]));
    ok(tally([...wallet, path.join(dir, 'f.duckdb')]));
    // 30.00 at 1.00: overdraft 30, top-up 50 repays it, balance 20. At 0.50 from scratch: 15, then the top-up: 35.
    ok(tally(['run', write(dir, 'r1.yaml', small('1.00')), u, '-o', path.join(dir, 'a'), '--state', path.join(dir, 's.duckdb')]));
    ok(tally(['rerate', u, '--period', '2026-10', '--ruleset', write(dir, 'r2.yaml', small('0.50')), '-o', path.join(dir, 'b'), '--state', path.join(dir, 's.duckdb')]));
    ok(tally(['run', path.join(dir, 'r2.yaml'), u, '-o', path.join(dir, 'f'), '--state', path.join(dir, 'f.duckdb')]));
    expect(fs.readFileSync(path.join(dir, 'b/balances.csv'), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'f/balances.csv'), 'utf8'));
    expect(csv(path.join(dir, 'b/balances.csv'))[0]!.balance).toBe('35.00');
    ok(tally(['wallet', 'verify', '--state', path.join(dir, 's.duckdb')]));
  });

  it('re-rating back and forth moves the bill each time; another ruleset\'s lines are left alone; a closed period is refused', () => {
    const dir = tempDir();
    const state = path.join(dir, 's.duckdb');
    const u = write(dir, 'u.csv', usage);
    const [r1, r2] = [write(dir, 'r1.yaml', small('1.00')), write(dir, 'r2.yaml', small('0.50'))];
    ok(tally(['run', r1, u, '-o', path.join(dir, 'run'), '--state', state]));
    ok(tally(['run', write(dir, 'other.yaml', small('2.00', 'other')), u, '-o', path.join(dir, 'other'), '--state', state]));
    const change = (out: string) => csv(path.join(dir, out, 'adjustments.csv')).reduce((s, a) => s + cents(a.amount!), 0);
    ok(tally(['rerate', u, '--period', '2026-10', '--ruleset', r2, '-o', path.join(dir, 'x1'), '--state', state]));
    ok(tally(['rerate', u, '--period', '2026-10', '--ruleset', r1, '-o', path.join(dir, 'x2'), '--state', state]));
    ok(tally(['rerate', u, '--period', '2026-10', '--ruleset', r2, '-o', path.join(dir, 'x3'), '--state', state]));
    // 30.00 → 15.00 → 30.00 → 15.00; the other ruleset's 60.00 line is never touched.
    expect([change('x1'), change('x2'), change('x3')]).toEqual([-1500, 1500, -1500]);
    expect(csv(path.join(dir, 'x3/adjustments.csv')).every((a) => a.amount !== '-60.00')).toBe(true);
    // The last one repeated is a no-op.
    const again = tally(['rerate', u, '--period', '2026-10', '--ruleset', r2, '-o', path.join(dir, 'x4'), '--state', state]);
    expect(again.stdout).toMatch(/already re-rated/);
    ok(tally(['close', '2026-10', '-o', path.join(dir, 'close'), '--state', state]));
    const closed = tally(['rerate', u, '--period', '2026-10', '--ruleset', r1, '-o', path.join(dir, 'x5'), '--state', state]);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain('period 2026-10 is closed');
  });
});
