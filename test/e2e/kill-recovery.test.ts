/**
 * Crash safety of `tally run` with a state file: the run is SIGKILLed at the named points around the state
 * commit (inside the transaction, after it, during the checkpoint, before the outputs are renamed). After each
 * kill the outputs are absent or complete, a re-run finishes, and the state and the outputs equal those of a
 * run that was never interrupted: nothing lost, nothing drawn twice.
 *
 * This is the large run (150,000 events, over 100,000 lines: the state's bulk-append path and a long
 * checkpoint) at the named points, and two runs racing for one state file. The kills at random instants, with
 * the named invariants and the report, are in test/reliability/faults.test.ts (TALLY_SOAK_KILLS); the helpers
 * (canonical state dump, CLI, seeded random) are in test/reliability/invariants.ts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir, write } from '../helpers/cli.js';
import { BIN, checkConservation, cli as runCli, dumpState, random } from '../reliability/invariants.js';

const OUTPUTS = ['charges.csv', 'rejects.csv', 'wallet-entries.csv', 'balances.csv', 'top-ups.csv'];

let dir: string;
let ruleset: string;
let usage: string;
let baseState: string;
let reference: { state: string; out: string };

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env });

function runArgs(state: string, out: string): string[] {
  return ['run', ruleset, usage, '-o', out, '--state', state, '-q'];
}

const read = (d: string, f: string) => fs.readFileSync(path.join(d, f), 'utf8');

beforeAll(async () => {
  dir = tempDir();
  // S1's ruleset with the default output columns, so the charges file carries the waterfall breakdown.
  const s1 = fs.readFileSync(path.join(ROOT, 'rulesets/bench/s1.yaml'), 'utf8');
  ruleset = write(dir, 's1.yaml', s1.slice(0, s1.indexOf('\noutputs:')));
  const rand = random(7);
  const metrics = ['api_call', 'storage_gb_hour', 'compute_sec', 'egress_gb'];
  const regions = ['us-east', 'eu-west', 'ap-south'];
  const rows = ['event_id,account_id,ts,metric,region,quantity'];
  for (let i = 0; i < 150_000; i++) {
    const day = 1 + Math.floor(rand() * 31);
    const sec = Math.floor(rand() * 86400);
    const ts = `2026-10-${String(day).padStart(2, '0')} ${String(Math.floor(sec / 3600)).padStart(2, '0')}:${String(Math.floor(sec / 60) % 60).padStart(2, '0')}:${String(sec % 60).padStart(2, '0')}`;
    rows.push(`e${i},acct-${String(Math.floor(rand() * 800)).padStart(4, '0')},${ts},${metrics[Math.floor(rand() * 4)]},${regions[Math.floor(rand() * 3)]},${(rand() * 50).toFixed(3)}`);
  }
  usage = write(dir, 'usage.csv', `${rows.join('\n')}\n`);
  // Grants for most accounts (some expiring mid-month, various kinds), and a few wallets that top themselves up.
  const kinds = ['promotional', 'purchased', 'gift_card', 'deposit'];
  const grants = ['account_id,amount,kind,priority,expires_at'];
  for (let a = 0; a < 800; a++) {
    for (let g = 0; g < 1 + Math.floor(rand() * 3); g++) {
      grants.push(`acct-${String(a).padStart(4, '0')},${(rand() * 40).toFixed(2)},${kinds[Math.floor(rand() * 4)]},${Math.floor(rand() * 3)},${rand() < 0.3 ? `2026-10-${String(5 + Math.floor(rand() * 20)).padStart(2, '0')}` : ''}`);
    }
  }
  baseState = path.join(dir, 'base.duckdb');
  for (let a = 0; a < 5; a++) {
    const r = cli(['wallet', 'create', `topup-${a}`, '--account', `acct-${String(a).padStart(4, '0')}`, '--priority', '1', '--overdraft-limit', '5',
      '--top-up-below', '2', '--top-up-amount', '15', '--top-up-max', '2', '--state', baseState]);
    expect(r.code, r.stderr).toBe(0);
  }
  expect(cli(['wallet', 'import', write(dir, 'grants.csv', `${grants.join('\n')}\n`), '--state', baseState]).code).toBe(0);

  const refState = path.join(dir, 'ref.duckdb');
  fs.copyFileSync(baseState, refState);
  const r = cli(runArgs(refState, path.join(dir, 'ref')));
  expect(r.code, r.stderr).toBe(0);
  reference = { state: await dumpState(refState), out: path.join(dir, 'ref') };
}, 120_000);

/** After a crash: outputs absent or complete; then a re-run finishes and equals the uninterrupted run. */
async function checkRecovery(state: string, out: string): Promise<void> {
  if (fs.existsSync(path.join(out, 'charges.csv'))) {
    for (const f of OUTPUTS) expect(read(out, f)).toBe(read(reference.out, f));
  }
  const r = cli(runArgs(state, out));
  expect(r.code, r.stderr).toBe(0);
  for (const f of OUTPUTS) expect(read(out, f), f).toBe(read(reference.out, f));
  expect(await dumpState(state)).toBe(reference.state);
  expect(cli(['wallet', 'verify', '--state', state]).code).toBe(0);
  await checkConservation(state);
}

describe('tally run killed and run again', () => {
  it('the reference run drew from the wallets and topped some up', () => {
    const entries = read(reference.out, 'wallet-entries.csv').trim().split('\n').slice(1);
    expect(entries.filter((e) => e.includes(',drawdown,')).length).toBeGreaterThan(1000);
    expect(read(reference.out, 'top-ups.csv').trim().split('\n').length).toBeGreaterThan(1);
  });

  for (const point of ['settle:in-transaction', 'settle:after-commit', 'settle:during-checkpoint', 'run:before-rename'] as const) {
    it(`killed at ${point}`, async () => {
      const state = path.join(dir, `${point.replace(':', '-')}.duckdb`);
      const out = path.join(dir, `out-${point.replace(':', '-')}`);
      fs.copyFileSync(baseState, state);
      const r = cli(runArgs(state, out), { TALLY_FAULT_POINT: point });
      expect(r.signal).toBe('SIGKILL');
      await checkRecovery(state, out);
    }, 60_000);
  }

  it('two runs started at once on one state file: one proceeds, the other exits 4 and writes nothing', async () => {
    const state = path.join(dir, 'race.duckdb');
    fs.copyFileSync(baseState, state);
    const start = (out: string) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...runArgs(state, out)], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    const [a, b] = await Promise.all([start(path.join(dir, 'race-a')), start(path.join(dir, 'race-b'))]);
    expect([a.code, b.code].sort()).toEqual([0, 4]);
    const loser = a.code === 4 ? { r: a, out: 'race-a' } : { r: b, out: 'race-b' };
    const winner = a.code === 0 ? 'race-a' : 'race-b';
    expect(loser.r.stderr).toContain(`another tally process holds ${state}; nothing was done`);
    expect(fs.existsSync(path.join(dir, loser.out))).toBe(false);
    for (const f of OUTPUTS) expect(read(path.join(dir, winner), f)).toBe(read(reference.out, f));
    expect(await dumpState(state)).toBe(reference.state);
  }, 60_000);
});
