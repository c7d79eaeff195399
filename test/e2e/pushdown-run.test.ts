/**
 * `tally run … --engine snowflake` end to end through the CLI: the real snowflake-sdk driver sends the pushdown
 * script, statement by statement over one session, to the loopback server (test/helpers/snowflake-server.ts),
 * which answers each by running the statement's DuckDB twin over the fixture loaded as USAGE.RAW.EVENTS and the
 * account file staged as USAGE.REF.ACCOUNTS (test/helpers/pushdown-twin.ts). The answers are computed, so the
 * run must come out as the embedded engine's run over the same file: the same charges byte for byte, the same
 * counts, the same rejects.
 *
 * Rejects' line numbers: a table has no lines, so the plan numbers rows by the connection's row_number_column
 * when it names one, else by row_number() over the input columns. Here the table carries LOAD_SEQ, the row's
 * line in the CSV file (header = line 1), so rejects.csv has the file's own line numbers.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compileSnowflakePlan } from '../../src/plan/snowflake-plan.js';
import { compileRulesetFile } from '../../src/ruleset/compile.js';
import { ROOT, tally, tempDir, write } from '../helpers/cli.js';
import { PushdownTwin } from '../helpers/pushdown-twin.js';
import { SnowflakeServer } from '../helpers/snowflake-server.js';

const exec = promisify(execFile);
const RULESET = 'rulesets/examples/cloud-api.yaml';
const TABLE = 'snowflake://wh/USAGE.RAW.EVENTS';
const CHARGES = ['charge:api_requests', 'charge:egress', 'charge:platform_fee', 'charge:storage'];

/** The CLI, asynchronously: a spawnSync would block this process, and with it the server the CLI talks to. */
async function tallyAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [path.join(ROOT, 'bin/tally.js'), ...args], { cwd: ROOT });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** What a run left in its output folder (a failed run leaves the folder, empty, as on DuckDB). */
const written = (out: string) => (fs.existsSync(out) ? fs.readdirSync(out) : []);

describe('tally run --engine snowflake (pushdown)', () => {
  let server: SnowflakeServer;
  let twin: PushdownTwin;
  let dir: string;
  let profile: string;
  let local: string;
  beforeAll(async () => {
    dir = tempDir();
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = write(dir, 'key.p8', privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    const ruleset = compileRulesetFile(path.join(ROOT, RULESET)).ruleset!;
    // What tally compiles from the profile below: the twin must know it to recognise the statements.
    twin = await PushdownTwin.open(ruleset, { source: 'USAGE.RAW.EVENTS', referenceTables: { accounts: 'USAGE.REF.ACCOUNTS' }, rowNumberColumn: 'load_seq', checksum: true }, [
      { name: 'USAGE.RAW.EVENTS', csv: path.join(ROOT, 'fixtures/usage/cloud-api.csv'), extra: 'rowid + 2 AS load_seq' },
      { name: 'USAGE.REF.ACCOUNTS', csv: path.join(ROOT, 'fixtures/reference/accounts.csv') },
    ]);
    server = await new SnowflakeServer({
      account: 'XY12345',
      users: { TALLY: { publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() } },
      answer: twin.answer,
      inlineRows: 5, // longer answers go through result chunks, as Snowflake sends them
    }).start();
    profile = write(dir, 'tally.yaml', `connections:
  wh:
    type: snowflake
    access_url: ${server.url}
    account: XY12345
    username: TALLY
    private_key: { file: ${keyFile} }
    reference_tables: { accounts: USAGE.REF.ACCOUNTS }
    row_number_column: load_seq
`);
    local = path.join(dir, 'local');
    const r = tally(['run', RULESET, 'fixtures/usage/cloud-api.csv', '--out', local, '--no-state', '-q']);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await server?.stop();
    twin?.close();
  });
  beforeEach(() => {
    twin.answered.length = 0;
    twin.failOn = null;
    twin.after = null;
  });

  it('rates the table inside Snowflake to the same charges, counts and rejects as the file on DuckDB', async () => {
    const out = path.join(dir, 'pushdown');
    const r = await tallyAsync(['run', RULESET, TABLE, '--engine', 'snowflake', '--profile', profile, '--out', out, '--no-state', '-q']);
    expect(r.code, r.stderr).toBe(0);
    // One session, the script in order, the checksum again at the end; no row of the table was fetched.
    expect(twin.answered).toEqual(['session', 'reference:accounts', 'checksum', 'outcomes', 'rejects', ...CHARGES, 'checksum']);
    expect(server.logins.filter((l) => l.ok)).toHaveLength(1);
    expect(server.sessionsDeleted).toBe(1);
    expect(server.queries.some((q) => q.sqlText.startsWith('SELECT * FROM'))).toBe(false);

    expect(fs.readFileSync(path.join(out, 'charges.csv'), 'utf8')).toBe(fs.readFileSync(path.join(local, 'charges.csv'), 'utf8'));
    const m = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const l = JSON.parse(fs.readFileSync(path.join(local, 'manifest.json'), 'utf8'));
    expect(m.engine).toBe('snowflake');
    expect(l.engine).toBeUndefined();
    expect(m.counts).toEqual(l.counts);
    expect(m.totals).toEqual(l.totals);
    expect(m.inputs[0]).toMatchObject({ file: 'snowflake://wh/USAGE.RAW.EVENTS', format: 'snowflake', rows_read: 57, origin: { uri: 'snowflake://wh/USAGE.RAW.EVENTS', records: 57 } });
    expect(m.inputs[0].sha256).toMatch(/^[0-9a-f]{64}$/);

    // The same rejects, file column aside: reasons, stages, details, and (through load_seq) line numbers.
    const rejects = (file: string) => fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => line.replace(/^[^,]*,/, ''));
    expect(rejects(path.join(out, 'rejects.csv'))).toEqual(rejects(path.join(local, 'rejects.csv')));
    expect(fs.readFileSync(path.join(out, 'rejects.csv'), 'utf8')).toContain('snowflake://wh/USAGE.RAW.EVENTS,55,input,invalid_timestamp,');
  });

  it('gives a run over the same data the same run id, and a new one when the table changes', async () => {
    const id = async (name: string) => {
      const out = path.join(dir, name);
      const r = await tallyAsync(['run', RULESET, TABLE, '--engine', 'snowflake', '--profile', profile, '--out', out, '--no-state', '-q']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')).inputs[0].sha256 as string;
    };
    const first = await id('id-1');
    expect(await id('id-2')).toBe(first);
    // A corrected quantity: the same counts, other data.
    await twin.db.run(`UPDATE USAGE.RAW.EVENTS SET quantity = '4201' WHERE event_id = 'evt-0001'`);
    try {
      expect(await id('id-3')).not.toBe(first);
    } finally {
      await twin.db.run(`UPDATE USAGE.RAW.EVENTS SET quantity = '4200' WHERE event_id = 'evt-0001'`);
    }
  });

  it('fails with nothing written when a statement fails (the second charge)', async () => {
    twin.failOn = CHARGES[1]!;
    const out = path.join(dir, 'failed');
    const r = await tallyAsync(['run', RULESET, TABLE, '--engine', 'snowflake', '--profile', profile, '--out', out, '--no-state', '-q']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('snowflake://wh/USAGE.RAW.EVENTS: the pushdown statement charge:egress failed (Snowflake error 000630, SQL state 57014)');
    expect(twin.answered.at(-1)).toBe('charge:egress');
    expect(written(out)).toEqual([]);
    expect(server.sessionsDeleted).toBeGreaterThanOrEqual(2); // the session was ended all the same
  });

  it('fails with nothing written when the table changes while the script runs', async () => {
    twin.after = async (name, t) => {
      if (name !== 'outcomes') return;
      await t.db.run(`INSERT INTO USAGE.RAW.EVENTS SELECT * REPLACE ('evt-9999' AS event_id, 99 AS load_seq) FROM USAGE.RAW.EVENTS WHERE event_id = 'evt-0001'`);
    };
    const out = path.join(dir, 'changed');
    try {
      const r = await tallyAsync(['run', RULESET, TABLE, '--engine', 'snowflake', '--profile', profile, '--out', out, '--no-state', '-q']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('the data changed while the run read it; nothing was written');
      expect(written(out)).toEqual([]);
    } finally {
      await twin.db.run(`DELETE FROM USAGE.RAW.EVENTS WHERE event_id = 'evt-9999'`);
    }
  });

  it('reads only the --since/--until window, on the connection\'s time_column', async () => {
    const ruleset = compileRulesetFile(path.join(ROOT, RULESET)).ruleset!;
    const window = { column: 'EVENT_TS', since: '2026-10-01T00:00:00.000Z', until: '2026-11-01T00:00:00.000Z' };
    const statements = compileSnowflakePlan(ruleset, { source: 'USAGE.RAW.EVENTS', referenceTables: { accounts: 'USAGE.REF.ACCOUNTS' }, window, checksum: true });
    const bounds = "FROM USAGE.RAW.EVENTS WHERE EVENT_TS >= CAST(CONVERT_TIMEZONE('UTC', TO_TIMESTAMP_TZ('2026-10-01T00:00:00.000Z')) AS TIMESTAMP_NTZ) AND EVENT_TS < CAST(CONVERT_TIMEZONE('UTC', TO_TIMESTAMP_TZ('2026-11-01T00:00:00.000Z')) AS TIMESTAMP_NTZ)";
    // The mediation chain of every statement, and the checksum, read the same rows.
    for (const s of statements.filter((x) => x.name === 'checksum' || x.name === 'outcomes' || x.name.startsWith('charge:'))) expect(s.sql, s.name).toContain(bounds);
    expect(() => compileSnowflakePlan(ruleset, { source: 'USAGE.RAW.EVENTS', referenceTables: { accounts: 'X.Y.Z' }, window: { ...window, column: 'ts; DROP TABLE T' } })).toThrow(/not one column name/);

    // Without a time_column, a window is refused rather than ignored.
    const r = await tallyAsync(['run', RULESET, TABLE, '--engine', 'snowflake', '--profile', profile, '--since', '2026-10-01T00:00:00Z', '--out', path.join(dir, 'since'), '--no-state', '-q']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--since/--until filter snowflake://wh on its time_column');
  });

  it('refuses what Snowflake cannot run, naming it, before connecting', async () => {
    const ruleset = write(dir, 'fees.yaml', `version: 1
name: fees
input:
  fields:
    event_id: { type: string }
    account_id: { type: string }
    ts: { type: timestamp }
    amount: { type: "decimal(18,2)" }
  event_id: event_id
  event_time: ts
billing: { account: account_id }
meters:
  m: { aggregation: count }
prices:
  - charge: fees
    meter: m
    model: percentage
    percentage: { amount: amount, rate: "0.029" }
`);
    const logins = server.logins.length;
    const pct = await tallyAsync(['run', ruleset, TABLE, '--engine', 'snowflake', '--profile', profile, '--out', path.join(dir, 'pct'), '--no-state', '-q']);
    expect(pct.code).toBe(3);
    expect(pct.stderr).toContain('the snowflake engine cannot run the percentage charge fees');
    expect(pct.stderr).toContain('run without --engine snowflake');

    // An enrich stage whose staged table the connection does not name.
    const bare = write(dir, 'bare.yaml', fs.readFileSync(profile, 'utf8').replace(/ {4}reference_tables:.*\n/, ''));
    const enrich = await tallyAsync(['run', RULESET, TABLE, '--engine', 'snowflake', '--profile', bare, '--out', path.join(dir, 'enrich'), '--no-state', '-q']);
    expect(enrich.code).toBe(3);
    expect(enrich.stderr).toContain('cannot run stage accounts (enrich from the file accounts.csv) until its reference table is staged');
    expect(enrich.stderr).toContain("reference_tables: { STAGE: DB.SCHEMA.TABLE }");
    expect(server.logins.length).toBe(logins);
    expect(written(path.join(dir, 'pct'))).toEqual([]);

    const two = await tallyAsync(['run', RULESET, TABLE, 'fixtures/usage/cloud-api.csv', '--engine', 'snowflake', '--profile', profile, '--out', path.join(dir, 'two'), '--no-state', '-q']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('--engine snowflake rates one Snowflake table');
  });
});
