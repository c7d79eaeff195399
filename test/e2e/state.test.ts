/**
 * The state file end to end, through the CLI as a user runs it: grants, a run paid by them, exactly-once
 * re-runs, dry runs, a second process, files that are not state files, imports that fail whole, and close.
 * Real DuckDB files in a temp folder; nothing is mocked.
 */
import { spawn } from 'node:child_process';
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
const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), 'utf8');

describe('tally run with a state file', () => {
  it('pays lines from grants, records the run once, and a repeat rewrites identical outputs', async () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    ok(tally(['wallet', 'grant', 'acct-acme', '--amount', '50', '--state', state]));
    ok(tally(['run', RULESET, USAGE, '-o', path.join(dir, 'a'), '--state', state]));
    const lines = csv(path.join(dir, 'a/charges.csv'));
    const acme = lines.filter((l) => l.account_id === 'acct-acme');
    const others = lines.filter((l) => l.account_id !== 'acct-acme');
    // Every line: covered + overage = amount; the 50.00 grant covers exactly 50.00 of acct-acme's lines.
    for (const l of lines) expect((Number(l.covered_by_commitment) + Number(l.covered_by_credits) + Number(l.overage)).toFixed(2)).toBe(Number(l.amount).toFixed(2));
    const covered = acme.reduce((s, l) => s + Math.round(Number(l.covered_by_credits) * 100), 0);
    expect(covered).toBe(5000);
    expect(others.every((l) => l.covered_by_credits === '0.00')).toBe(true);
    const entries = csv(path.join(dir, 'a/wallet-entries.csv'));
    expect(entries.reduce((s, e) => s + Math.round(Number(e.amount) * 100), 0)).toBe(-5000);
    expect(csv(path.join(dir, 'a/balances.csv'))).toEqual([{ kind: 'wallet', id: 'acct-acme', account_id: 'acct-acme', currency: 'USD', balance: '0.00', available: '0.00', overdraft_used: '0.00' }]);

    // The same input under another name: recognized by its hash, nothing new in the state, identical outputs.
    const copy = path.join(dir, 'renamed.csv');
    fs.copyFileSync(USAGE, copy);
    const again = tally(['run', RULESET, copy, '-o', path.join(dir, 'b'), '--state', state]);
    ok(again);
    expect(again.stderr + again.stdout).toMatch(/already recorded/);
    for (const f of ['charges.csv', 'wallet-entries.csv', 'balances.csv', 'top-ups.csv']) {
      expect(fs.readFileSync(path.join(dir, 'b', f), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'a', f), 'utf8'));
    }
    const ledger = tally(['wallet', 'ledger', 'acct-acme', '--json', '--state', state]);
    expect(JSON.parse(ledger.stdout)).toHaveLength(1 + entries.length);
    ok(tally(['wallet', 'verify', '--state', state]));
    // A line whose recorded breakdown no longer matches what was drawn for it is caught.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(state);
    const c = await db.connect();
    await c.run(`UPDATE lines SET covered_by_credits = 999 WHERE line_id = (SELECT min(line_id) FROM lines WHERE account_id = 'acct-acme')`);
    c.closeSync();
    db.closeSync();
    const v = tally(['wallet', 'verify', '--state', state]);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/line [0-9a-f]{24} of run-[0-9a-f]{16}: its breakdown does not match the ledger entries drawn for it/);
  });

  it('refuses an input already rated by another version of the ruleset, writing nothing', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    ok(tally(['run', RULESET, USAGE, '-o', path.join(dir, 'a'), '--state', state]));
    const changed = write(dir, 'cloud-api.yaml', fs.readFileSync(RULESET, 'utf8').replace(/ruleset_version: .*/, 'ruleset_version: "changed"').replaceAll('../../fixtures/', `${ROOT}/fixtures/`));
    const r = tally(['run', changed, USAGE, '-o', path.join(dir, 'b'), '--state', state]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already rated by ruleset cloud-api: .*cloud-api\.csv \(run run-[0-9a-f]{16}\); nothing was written/);
    expect(r.stderr).toMatch(/hint: rate only new files, or run with --no-state/);
    expect(fs.existsSync(path.join(dir, 'b/charges.csv'))).toBe(false);
  });

  it('--dry-run computes the waterfall but leaves the state as it was', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    ok(tally(['wallet', 'grant', 'acct-acme', '--amount', '20', '--state', state]));
    ok(tally(['run', RULESET, USAGE, '-o', path.join(dir, 'dry'), '--state', state, '--dry-run']));
    expect(csv(path.join(dir, 'dry/wallet-entries.csv')).length).toBeGreaterThan(0);
    expect(JSON.parse(tally(['wallet', 'ledger', 'acct-acme', '--json', '--state', state]).stdout)).toHaveLength(1);
    // The real run afterwards makes exactly what the dry run showed.
    ok(tally(['run', RULESET, USAGE, '-o', path.join(dir, 'real'), '--state', state]));
    expect(fs.readFileSync(path.join(dir, 'real/wallet-entries.csv'), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'dry/wallet-entries.csv'), 'utf8'));
  });

  it('a second process on the same state file gets its own exit code and writes nothing', async () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    ok(tally(['wallet', 'grant', 'acct-acme', '--amount', '20', '--state', state]));
    // Another process holds the file (DuckDB's own lock), the way a long run would.
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `
      import { DuckDBInstance } from '@duckdb/node-api';
      const db = await DuckDBInstance.create(${JSON.stringify(state)});
      await db.connect();
      process.stdout.write('held\\n');
      setTimeout(() => {}, 60000);`], { cwd: ROOT });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
        holder.on('exit', () => reject(new Error('the holder exited')));
      });
      const r = tally(['run', RULESET, USAGE, '-o', path.join(dir, 'out'), '--state', state]);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain(`another tally process holds ${state}; nothing was done`);
      expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
      expect(tally(['wallet', 'balance', '--state', state]).code).toBe(4);
    } finally {
      holder.kill('SIGKILL');
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(tally(['wallet', 'balance', 'acct-acme', '--json', '--state', state]).stdout).toContain('"balance": "20"');
  });

  it('migrates a state file of an older schema on open, and refuses one from a newer tally', async () => {
    const dir = tempDir();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const make = async (file: string, version: string) => {
      const db = await DuckDBInstance.create(file);
      const c = await db.connect();
      await c.run(`CREATE TABLE tally_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL); INSERT INTO tally_meta VALUES ('marker', 'tally-state'), ('schema_version', '${version}')`);
      c.closeSync();
      db.closeSync();
    };
    const old = path.join(dir, 'old.duckdb');
    await make(old, '0');
    ok(tally(['wallet', 'grant', 'acct-a', '--amount', '5', '--state', old]));
    expect(JSON.parse(tally(['wallet', 'balance', '--json', '--state', old]).stdout)[0].balance).toBe('5');
    const newer = path.join(dir, 'newer.duckdb');
    await make(newer, '99');
    const r = tally(['wallet', 'balance', '--state', newer]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/was written by a newer tally \(state schema 99/);
    const other = path.join(dir, 'other.duckdb');
    const db = await DuckDBInstance.create(other);
    const c = await db.connect();
    await c.run('CREATE TABLE customers (id INTEGER)');
    c.closeSync();
    db.closeSync();
    expect(tally(['wallet', 'balance', '--state', other]).stderr).toMatch(/is a DuckDB file but not a tally state file; it was left as it is/);
  });

  it('refuses files that are not state files and leaves them untouched', () => {
    const dir = tempDir();
    const text = write(dir, 'notes.duckdb', 'these are my notes\n');
    const r = tally(['wallet', 'balance', '--state', text]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not a tally state file \(or it is damaged\); it was left as it is/);
    expect(fs.readFileSync(text, 'utf8')).toBe('these are my notes\n');
  });
});

/**
 * The example's usage cut in two files of the same month, and both together in a third. The example's last
 * two rows re-deliver earlier events; they are left out, since duplicates are found within a run, not across.
 */
function halves(dir: string): [string, string, string] {
  const [header, ...rows] = fs.readFileSync(USAGE, 'utf8').trim().split('\n');
  const kept = rows.slice(0, -2);
  const file = (name: string, part: string[]) => write(dir, name, `${[header, ...part].join('\n')}\n`);
  return [file('u1.csv', kept.slice(0, 19)), file('u2.csv', kept.slice(19)), file('both.csv', kept)];
}

describe('what the state refuses', () => {
  it('late usage: a second run into a billed period bills only what the late usage adds (tiers continue, no second flat fee)', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    const fresh = path.join(dir, 'fresh.duckdb');
    const [u1, u2, both] = halves(dir);
    for (const s of [state, fresh]) ok(tally(['wallet', 'grant', 'acct-acme', '--amount', '80', '--state', s]));
    ok(tally(['run', RULESET, u1, '-o', path.join(dir, 'a'), '--state', state]));
    ok(tally(['run', RULESET, u2, '-o', path.join(dir, 'b'), '--state', state]));
    ok(tally(['run', RULESET, both, '-o', path.join(dir, 'all'), '--state', fresh]));
    const perLine = (...runs: string[]) => {
      const m = new Map<string, number>();
      for (const run of runs) for (const l of csv(path.join(dir, run, 'charges.csv'))) m.set(l.line_id!, (m.get(l.line_id!) ?? 0) + Math.round(Number(l.amount) * 100));
      for (const [k, v] of m) if (v === 0) m.delete(k);
      return m;
    };
    // Both halves together bill each line exactly what rating the whole month at once bills.
    expect(perLine('a', 'b')).toEqual(perLine('all'));
    const late = csv(path.join(dir, 'b/charges.csv')).filter((l) => l.status === 'late');
    expect(late.length).toBeGreaterThan(0);
    // acme's monthly fee was billed by the first run: the late run adds 0.00 for it.
    const fee = csv(path.join(dir, 'b/charges.csv')).filter((l) => l.account_id === 'acct-acme' && l.charge === 'platform_fee');
    expect(fee.map((l) => [l.status, l.amount])).toEqual([['late', '0.00']]);
    // The wallet ends where rating the whole month at once leaves it.
    expect(fs.readFileSync(path.join(dir, 'b/balances.csv'), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'all/balances.csv'), 'utf8'));
    ok(tally(['wallet', 'verify', '--state', state]));
    // The late run repeated rewrites the same late lines.
    ok(tally(['run', RULESET, u2, '-o', path.join(dir, 'b2'), '--state', state]));
    expect(read(dir, 'b2/charges.csv')).toBe(read(dir, 'b/charges.csv'));
  });

  it('late usage for a meter whose quantities do not add up is refused, pointing to rerate', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    const [u1, u2] = halves(dir);
    const latest = write(dir, 'latest.yaml', fs.readFileSync(RULESET, 'utf8').replaceAll('../../fixtures/', `${ROOT}/fixtures/`)
      .replace("storage_gb_hours:\n    aggregation: sum", "storage_gb_hours:\n    aggregation: latest"));
    expect(fs.readFileSync(latest, 'utf8')).toContain('aggregation: latest');
    ok(tally(['run', latest, u1, '-o', path.join(dir, 'a'), '--state', state]));
    const r = tally(['run', latest, u2, '-o', path.join(dir, 'b'), '--state', state]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/late usage for \S+ in 2026-10, charge storage: its latest meter cannot add late usage to what was billed; nothing was written/);
    expect(r.stderr).toContain('tally rerate --period 2026-10');
  });

  it('a run into a period that was closed', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    const [u1] = halves(dir);
    ok(tally(['run', RULESET, u1, '-o', path.join(dir, 'a'), '--state', state]));
    ok(tally(['close', '2026-10', '-o', path.join(dir, 'close'), '--state', state]));
    const r = tally(['run', RULESET, USAGE, '-o', path.join(dir, 'b'), '--state', state]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('period 2026-10 was already closed');
  });

  it('--dry-run against a state file that does not exist leaves no file behind; read-only commands do not create one', () => {
    const dir = tempDir();
    const state = path.join(dir, 'never.duckdb');
    ok(tally(['run', RULESET, USAGE, '-o', path.join(dir, 'dry'), '--state', state, '--dry-run']));
    expect(fs.existsSync(state)).toBe(false);
    const r = tally(['wallet', 'balance', '--state', state]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`there is no state file ${state}`);
    expect(fs.existsSync(state)).toBe(false);
  });

  it('a negative rollover, and a rate changed in place', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    const neg = tally(['commit', 'add', 'a', '--kind', 'prepaid', '--amount', '100', '--start', '2026-10-01', '--end', '2026-11-01', '--rollover', '-0.5', '--state', state]);
    expect(neg.code).toBe(2);
    expect(neg.stderr).toContain('--rollover cannot be negative');
    ok(tally(['wallet', 'rate', 'credits', 'USD', '0.01', '--from', '2026-01-01', '--state', state]));
    ok(tally(['wallet', 'rate', 'credits', 'USD', '0.01', '--from', '2026-01-01', '--state', state]));
    const changed = tally(['wallet', 'rate', 'credits', 'USD', '0.02', '--from', '2026-01-01', '--state', state]);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain('rates are never changed');
  });

  it('a repeated run rewrites the balances it reported, whatever was added since', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    ok(tally(['wallet', 'grant', 'acct-acme', '--amount', '10', '--state', state]));
    ok(tally(['run', RULESET, USAGE, '-o', path.join(dir, 'a'), '--state', state]));
    ok(tally(['wallet', 'create', 'w2', '--account', 'acct-globex', '--state', state]));
    ok(tally(['commit', 'add', 'acct-globex', '--kind', 'prepaid', '--amount', '10', '--start', '2026-12-01', '--end', '2027-01-01', '--state', state]));
    ok(tally(['run', RULESET, USAGE, '-o', path.join(dir, 'b'), '--state', state]));
    expect(read(dir, 'b/balances.csv')).toBe(read(dir, 'a/balances.csv'));
  });
});

describe('accounts, wallets and commitments declared in the ruleset', () => {
  it('a pool at the parent pays its children, one of them capped; a prepaid commitment pays before any wallet', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    const ruleset = write(dir, 'cloud-api.yaml', `${fs.readFileSync(RULESET, 'utf8').replaceAll('../../fixtures/', `${ROOT}/fixtures/`)}
accounts:
  list:
    - { id: acct-initech, parent: acct-hooli }
    - { id: acct-globex, parent: acct-hooli }
wallets:
  - { id: hooli-pool, account: acct-hooli, pool: true, child_caps: { acct-initech: "0.20" } }
commitments:
  - { id: acme-q4, account: acct-acme, kind: prepaid, amount: "20", start: 2026-10-01, end: 2027-01-01 }
`);
    ok(tally(['sync', ruleset, '--state', state]));
    ok(tally(['wallet', 'grant', 'acct-hooli', '--wallet', 'hooli-pool', '--amount', '1000', '--state', state]));
    ok(tally(['run', ruleset, USAGE, '-o', path.join(dir, 'out'), '--state', state]));
    const lines = csv(path.join(dir, 'out/charges.csv'));
    const cents = (account: string, col: string) => lines.filter((l) => l.account_id === account).reduce((s, l) => s + Math.round(Number(l[col]) * 100), 0);
    // The parent and the uncapped child draw all they need from the pool; initech (0.50 of lines) is capped at 0.20.
    expect(cents('acct-hooli', 'covered_by_credits')).toBe(cents('acct-hooli', 'amount'));
    expect(cents('acct-globex', 'covered_by_credits')).toBe(cents('acct-globex', 'amount'));
    expect(cents('acct-initech', 'amount')).toBe(50);
    expect([cents('acct-initech', 'covered_by_credits'), cents('acct-initech', 'overage')]).toEqual([20, 30]);
    // acme's prepaid commitment covers 20.00; acme has no wallet.
    expect([cents('acct-acme', 'covered_by_commitment'), cents('acct-acme', 'covered_by_credits')]).toEqual([2000, 0]);
    // Draw-downs by a child are recorded against the child.
    const entries = csv(path.join(dir, 'out/wallet-entries.csv'));
    expect(entries.filter((e) => e.wallet_id === 'hooli-pool' && e.account_id === 'acct-initech').reduce((s, e) => s + Math.round(Number(e.amount) * 100), 0)).toBe(-20);
    ok(tally(['wallet', 'verify', '--state', state]));
    // Declaring the commitment differently is refused: money has moved against it.
    const amended = write(dir, 'cloud-api.yaml', fs.readFileSync(ruleset, 'utf8').replace('amount: "20"', 'amount: "25"'));
    const r = tally(['sync', amended, '--state', state]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('commitment acme-q4 in the ruleset differs from the one in the state');
  });
});

describe('tally wallet and commit commands', () => {
  it('an import with one bad row names its line and imports nothing', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    const file = write(dir, 'grants.csv', 'account_id,amount,kind,expires_at\nacct-a,10,promotional,2026-12-01\nacct-b,ten,purchased,\n');
    const r = tally(['wallet', 'import', file, '--state', state]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:3: amount: "ten" is not a decimal number`);
    expect(JSON.parse(tally(['wallet', 'balance', '--json', '--state', state]).stdout)).toEqual([]);
    const good = write(dir, 'good.csv', 'account_id,amount,kind,expires_at\nacct-a,10,promotional,2026-12-01\nacct-b,2.5,purchased,\n');
    ok(tally(['wallet', 'import', good, '--state', state]));
    expect(JSON.parse(tally(['wallet', 'balance', '--json', '--at', '2026-11-01', '--state', state]).stdout).map((b: Record<string, string>) => [b.id, b.balance])).toEqual([['acct-a', '10'], ['acct-b', '2.5']]);
  });

  it('accounts import from CSV or Parquet; a cycle in the hierarchy is refused', async () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    ok(tally(['account', 'import', write(dir, 'a.csv', 'account_id,parent_id,currency\nparent,,USD\nchild,parent,\n'), '--state', state]));
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const scratch = await DuckDBInstance.create(':memory:');
    const sc = await scratch.connect();
    await sc.run(`COPY (SELECT 'grandchild' AS account_id, 'child' AS parent_id) TO '${path.join(dir, 'b.parquet')}' (FORMAT parquet)`);
    sc.closeSync();
    scratch.closeSync();
    ok(tally(['account', 'import', path.join(dir, 'b.parquet'), '--state', state]));
    const cycle = tally(['account', 'set', 'parent', '--parent', 'grandchild', '--state', state]);
    expect(cycle.code).toBe(2);
    expect(cycle.stderr).toContain('account parent: parent grandchild makes a cycle in the hierarchy');
    const db = await DuckDBInstance.create(state);
    const c = await db.connect();
    const rows = (await c.runAndReadAll('SELECT account_id, parent_id FROM accounts ORDER BY account_id')).getRowsJson();
    c.closeSync();
    db.closeSync();
    expect(rows).toEqual([['child', 'parent'], ['grandchild', 'child'], ['parent', null]]);
  });

  it('void reverses what is left, balance --at sees before and after, verify catches a tampered ledger', async () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    ok(tally(['wallet', 'grant', 'acct-a', '--amount', '30', '--id', 'g1', '--effective', '2026-10-01', '--state', state]));
    ok(tally(['wallet', 'void', 'g1', '--at', '2026-10-15', '--state', state]));
    const at = (t: string) => JSON.parse(tally(['wallet', 'balance', 'acct-a', '--json', '--at', t, '--state', state]).stdout)[0].balance;
    expect([at('2026-09-30'), at('2026-10-10'), at('2026-10-20')]).toEqual(['0', '30', '0']);
    expect(tally(['wallet', 'void', 'g1', '--state', state]).code).toBe(2);
    ok(tally(['wallet', 'verify', '--state', state]));
    // Tamper: an entry drawing more than the grant held.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(state);
    const c = await db.connect();
    await c.run(`UPDATE entries SET amount = -45 WHERE type = 'void'`);
    await c.run(`UPDATE grants SET amount = 5000`);
    c.closeSync();
    db.closeSync();
    const v = tally(['wallet', 'verify', '--state', state]);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain('grant g1 is negative: -15');
    expect(v.stderr).toContain('grant g1 is for 5000 but the ledger funded it with 30');
  });

  it('close: minimum-commitment true-up once, refused for a period no run rated', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    ok(tally(['commit', 'add', 'acct-acme', '--kind', 'minimum', '--amount', '1000', '--start', '2026-01-01', '--end', '2027-01-01', '--state', state]));
    const refused = tally(['close', '2026-10', '-o', path.join(dir, 'c0'), '--state', state]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('no run has rated period 2026-10');
    ok(tally(['run', RULESET, USAGE, '-o', path.join(dir, 'run'), '--state', state]));
    const spend = csv(path.join(dir, 'run/charges.csv')).filter((l) => l.account_id === 'acct-acme').reduce((s, l) => s + Math.round(Number(l.amount) * 100), 0);
    ok(tally(['close', '2026-10', '-o', path.join(dir, 'c1'), '--state', state]));
    const trueUps = csv(path.join(dir, 'c1/true-ups.csv'));
    expect(trueUps).toHaveLength(1);
    expect(Math.round(Number(trueUps[0]!.amount) * 100)).toBe(100000 - spend);
    expect(Math.round(Number(trueUps[0]!.spend) * 100)).toBe(spend);
    const again = tally(['close', '2026-10', '-o', path.join(dir, 'c2'), '--state', state]);
    ok(again);
    expect(again.stdout).toMatch(/already closed/);
    expect(fs.readFileSync(path.join(dir, 'c2/true-ups.csv'), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'c1/true-ups.csv'), 'utf8'));
  });

  it('a credits wallet pays USD lines at the rate set with `wallet rate`', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    ok(tally(['wallet', 'create', 'acme-credits', '--account', 'acct-acme', '--currency', 'credits', '--state', state]));
    ok(tally(['wallet', 'rate', 'credits', 'USD', '0.01', '--from', '2026-01-01', '--state', state]));
    ok(tally(['wallet', 'grant', 'acct-acme', '--wallet', 'acme-credits', '--amount', '1000', '--state', state]));
    ok(tally(['run', RULESET, USAGE, '-o', path.join(dir, 'out'), '--state', state]));
    const entries = csv(path.join(dir, 'out/wallet-entries.csv'));
    // 1000 credits at 0.01 are worth 10.00 USD: every credit is drawn and 10.00 of the lines is covered.
    expect(entries.reduce((s, e) => s + Number(e.amount), 0)).toBe(-1000);
    expect(entries.reduce((s, e) => s + Math.round(Number(e.fiat_amount) * 100), 0)).toBe(-1000);
    ok(tally(['wallet', 'verify', '--state', state]));
  });
});

describe('a repeated run', () => {
  it('writes its lines in the first run\'s order, also where the output order ties (a NULL and an empty dimension)', () => {
    const dir = tempDir();
    const r = write(dir, 'r.yaml', unitsRuleset('ties', '  - { charge: api, meter: units, model: unit, unit_price: "1.00" }\n', '', { extraFields: '    b: { type: string }\n', dimensions: 'b' }));
    // Eight accounts with a tie each: whatever the line ids (hashes), some pair sorts the other way by id.
    const usage = write(dir, 'u.jsonl', Array.from({ length: 8 }, (_, i) => [
      { event_id: `n${i}`, account_id: `acct-${i}`, ts: '2026-10-05 10:00:00', units: '2', b: null },
      { event_id: `e${i}`, account_id: `acct-${i}`, ts: '2026-10-06 10:00:00', units: '3', b: '' },
    ]).flat().map((e) => JSON.stringify(e)).join('\n') + '\n');
    const state = path.join(dir, 's.duckdb');
    ok(tally(['run', r, usage, '-o', path.join(dir, 'a'), '--state', state]));
    ok(tally(['run', r, usage, '-o', path.join(dir, 'b'), '--state', state]));
    expect(csv(path.join(dir, 'a', 'charges.csv')).map((l) => l.amount)).toHaveLength(16);
    expect(read(path.join(dir, 'b'), 'charges.csv')).toBe(read(path.join(dir, 'a'), 'charges.csv'));
  });
});
