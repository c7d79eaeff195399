/**
 * The Snowflake table sink against the real snowflake-sdk driver, pointed (access_url) at the loopback server
 * that speaks the driver's protocol (test/helpers/snowflake-server.ts).
 *
 * What this verifies: the driver protocol end to end (login, each statement as its own request in one session,
 * array binds as the driver puts them on the wire, the DML counts it reads back, session end); the statements and
 * their order (CREATE TABLE, CREATE TEMPORARY TABLE, BEGIN, the batched INSERTs, MERGE, COMMIT, or ROLLBACK on a
 * failure); every bound value, as text; the batching; that a repeated load sends the same keys to a MERGE keyed
 * on LINE_ID; refusals before connecting; errors without secrets.
 *
 * What it does not: the server runs no SQL, so Snowflake's own semantics — that the MERGE updates matched rows
 * instead of inserting them, the TO_NUMBER/TO_TIMESTAMP_NTZ/PARSE_JSON conversions, the transaction's isolation,
 * DDL committing an open transaction — are not exercised; the counts a MERGE returns are the test's. The USING
 * query and the INSERT parse with node-sql-parser's Snowflake grammar; its grammar (5.4) has no MERGE, nor the
 * VARIANT and TIMESTAMP_NTZ types of the CREATE TABLE, so the rest of the MERGE is checked clause by clause.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sqlParser from 'node-sql-parser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataError, UsageError } from '../../src/cli/errors.js';
import { parseProfile } from '../../src/io/profile/profile.js';
import { COLUMNS, loadLinesToSnowflake, loadStatements } from '../../src/io/sinks/snowflake.js';
import { dec } from '../../src/pricing/decimal.js';
import type { ChargeLine } from '../../src/run/rate.js';
import { LINES, line, RUN_ID } from '../export/fixtures.js';
import { boundRows, SnowflakeServer, statementAnswer, type QueryAnswer, type ReceivedQuery } from '../helpers/snowflake-server.js';

const TARGET = 'snowflake://wh/USAGE.BILLING.CHARGE_LINES';
const TABLE = 'USAGE.BILLING.CHARGE_LINES';
const META = { runId: RUN_ID, ruleset: 'acme-billing', rulesetVersion: '2026.10' };
const STAGE = /^USAGE\.BILLING\.TALLY_STAGE_[0-9A-F]{12}$/;

let dir: string;
let keyFile: string;
let server: SnowflakeServer;
let answer: (q: ReceivedQuery) => QueryAnswer;

function profile(settings = `username: tally\nprivate_key: { file: ${keyFile} }\nwarehouse: BILLING_WH\nrole: TALLY`) {
  return parseProfile(`connections:\n  wh:\n    type: snowflake\n    access_url: ${server.url}\n    account: XY12345\n${settings.replace(/^/gm, '    ')}\n`, 'tally.yaml');
}

/** The statements one load sent (everything after `from`), and the staging table it used. */
function sent(from: number): { sql: string[]; queries: ReceivedQuery[]; stage: string } {
  const queries = server.queries.slice(from);
  const stage = /^CREATE TEMPORARY TABLE (\S+) /.exec(queries[1]?.sqlText ?? '')?.[1] ?? '';
  return { sql: queries.map((q) => q.sqlText), queries, stage };
}

const verbs = (sql: string[]) => sql.map((s) => s.split(' ').slice(0, s.startsWith('CREATE') ? 2 : 1).join(' '));

function manyLines(n: number): ChargeLine[] {
  return Array.from({ length: n }, (_, i) => line({ lineId: `line-${String(i).padStart(6, '0')}`, quantity: dec(`${i}.5`), priced: { exact: dec(`${i}.0125`), amount: dec(`${i}.01`), unitPrice: dec('0.0025'), tierRef: 'flat' } }));
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-sf-sink-'));
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  keyFile = path.join(dir, 'key.p8');
  fs.writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  server = await new SnowflakeServer({
    account: 'XY12345',
    users: { TALLY: { publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() }, PAT_USER: { token: 'pat-secret-456' } },
    answer: (q) => answer(q),
  }).start();
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Rows bound by the INSERTs since the last BEGIN: the test's MERGE answer reports them all as inserted. */
let staged = 0;
const loadAnswer = (q: ReceivedQuery): QueryAnswer => {
  if (q.sqlText === 'BEGIN') staged = 0;
  if (q.sqlText.startsWith('INSERT')) staged += boundRows(q).length;
  return statementAnswer(q, { inserted: staged, updated: 0 });
};

beforeEach(() => {
  answer = loadAnswer;
  server.dropQueryResponses = 0;
});

describe('snowflake table sink', () => {
  it('creates the table, stages the lines as text binds, merges and commits, in one session', async () => {
    const from = server.queries.length;
    const deleted = server.sessionsDeleted;
    const { merged } = await loadLinesToSnowflake(TARGET, LINES, META, profile());
    const { sql, queries, stage } = sent(from);
    expect(stage).toMatch(STAGE);
    const expected = loadStatements(TABLE, stage);
    expect(sql).toEqual([expected.createTable, expected.createStage, 'BEGIN', expected.insert, expected.merge, 'COMMIT']);
    expect(expected.createTable).toBe(
      'CREATE TABLE IF NOT EXISTS USAGE.BILLING.CHARGE_LINES (LINE_ID VARCHAR NOT NULL, ADJUSTS_LINE_ID VARCHAR, ACCOUNT VARCHAR, PERIOD VARCHAR, '
      + 'PERIOD_START TIMESTAMP_NTZ(9), PERIOD_END TIMESTAMP_NTZ(9), CHARGE VARCHAR, METER VARCHAR, DIMENSION VARCHAR, DIMENSIONS VARIANT, '
      + 'PRICE_VERSION NUMBER(10, 0), QUANTITY NUMBER(38, 18), UNIT_PRICE VARCHAR, TIER_REF VARCHAR, AMOUNT NUMBER(38, 12), AMOUNT_EXACT VARCHAR, '
      + 'CURRENCY VARCHAR, COVERED_BY_COMMITMENT NUMBER(38, 12), COVERED_BY_CREDITS NUMBER(38, 12), OVERAGE NUMBER(38, 12), STATUS VARCHAR, '
      + 'INCURRED_AT TIMESTAMP_NTZ(9), RUN_ID VARCHAR, RULESET VARCHAR, RULESET_VERSION VARCHAR, LOADED_AT TIMESTAMP_NTZ(9), PRIMARY KEY (LINE_ID))',
    );

    // Every value bound as TEXT, one array per placeholder (the driver's array-bind format), never a number.
    const insert = queries[3]!;
    expect(Object.keys(insert.bindings!)).toHaveLength(COLUMNS.length);
    for (const b of Object.values(insert.bindings!)) {
      expect(b.type).toBe('TEXT');
      expect((b.value as unknown[]).every((v) => v === null || typeof v === 'string')).toBe(true);
    }
    const rows = boundRows(insert).map((r) => Object.fromEntries(COLUMNS.map((c, i) => [c.name, r[i]])));
    expect(rows.map((r) => r.LINE_ID)).toEqual([
      'a1a1a1a1a1a1a1a1a1a1a1a1', 'b2b2b2b2b2b2b2b2b2b2b2b2',
      // late lines: keyed by line and run, naming the billed line they adjust
      `c3c3c3c3c3c3c3c3c3c3c3c3-${RUN_ID}`, `d4d4d4d4d4d4d4d4d4d4d4d4-${RUN_ID}`,
      'e5e5e5e5e5e5e5e5e5e5e5e5', 'f6f6f6f6f6f6f6f6f6f6f6f6', '0707070707070707070707a7',
    ]);
    expect(rows[0]).toEqual({
      LINE_ID: 'a1a1a1a1a1a1a1a1a1a1a1a1', ADJUSTS_LINE_ID: null, ACCOUNT: 'acme', PERIOD: '2026-10',
      PERIOD_START: '2026-10-01 00:00:00.000000000', PERIOD_END: '2026-11-01 00:00:00.000000000', CHARGE: 'api_calls', METER: 'calls',
      DIMENSION: '', DIMENSIONS: '{}', PRICE_VERSION: '1', QUANTITY: '1500', UNIT_PRICE: '0.01', TIER_REF: 'flat', AMOUNT: '15.00', AMOUNT_EXACT: '15',
      CURRENCY: 'USD', COVERED_BY_COMMITMENT: '0.00', COVERED_BY_CREDITS: '5.00', OVERAGE: '10.00', STATUS: 'billed',
      INCURRED_AT: '2026-10-30 17:45:12.123456000', RUN_ID, RULESET: 'acme-billing', RULESET_VERSION: '2026.10',
    });
    expect(rows[1]).toMatchObject({ DIMENSION: 'eu-west|hot', DIMENSIONS: '{"region":"eu-west","tier":"hot"}', QUANTITY: '12.345', UNIT_PRICE: null, AMOUNT: '2.47', AMOUNT_EXACT: '2.469', OVERAGE: '2.47' });
    expect(rows[3]).toMatchObject({ ADJUSTS_LINE_ID: 'd4d4d4d4d4d4d4d4d4d4d4d4', STATUS: 'late', QUANTITY: '0.000', AMOUNT: '-0.50', AMOUNT_EXACT: '-0.5' });
    expect(rows[5]).toMatchObject({ STATUS: 'held', OVERAGE: '0.00' });
    expect(rows[6]).toMatchObject({ ACCOUNT: 'Smith, "Bob" & Co', DIMENSIONS: '{"project":"alpha,\\n\\"beta\\""}', CURRENCY: 'JPY', AMOUNT: '700', OVERAGE: '700' });

    // The MERGE's counts (inserted + updated), as the driver reads them from Snowflake's DML result.
    expect(merged).toBe(7);
    expect(server.logins.at(-1)).toMatchObject({ user: 'TALLY', authenticator: 'SNOWFLAKE_JWT', ok: true });
    expect(server.sessionsDeleted).toBe(deleted + 1);
  });

  it('sends a MERGE keyed on LINE_ID that updates every other column and inserts new lines', async () => {
    const { merge, insert } = loadStatements(TABLE, 'USAGE.BILLING.TALLY_STAGE_X');
    const m = /^MERGE INTO (\S+) AS T USING \((SELECT .*)\) AS S ON T\.LINE_ID = S\.LINE_ID WHEN MATCHED THEN UPDATE SET (.*) WHEN NOT MATCHED THEN INSERT \((.*)\) VALUES \((.*)\)$/.exec(merge);
    expect(m).not.toBeNull();
    const [, table, using, set, insertColumns, values] = m!;
    expect(table).toBe(TABLE);
    const names = COLUMNS.map((c) => c.name);
    expect(set!.split(', ')).toEqual([...names.filter((n) => n !== 'LINE_ID').map((n) => `${n} = S.${n}`), 'LOADED_AT = SYSDATE()']);
    expect(insertColumns!.split(', ')).toEqual([...names, 'LOADED_AT']);
    expect(values!.split(', ')).toEqual([...names.map((n) => `S.${n}`), 'SYSDATE()']);

    // The USING query parses as Snowflake SQL and converts the staged text to the target's types.
    const parser = new sqlParser.Parser();
    const ast = parser.astify(using!, { database: 'snowflake' }) as unknown as { type: string; columns: { as: string | null; expr: { column?: string; name?: { name: { value: string }[] } } }[]; from: { table: string }[] };
    expect(ast.type).toBe('select');
    expect(ast.from[0]!.table).toBe('TALLY_STAGE_X');
    expect(ast.columns.map((c) => c.as ?? c.expr.column)).toEqual(names);
    const fn = (n: string) => ast.columns[names.indexOf(n)]!.expr.name?.name[0]?.value;
    expect([fn('QUANTITY'), fn('AMOUNT'), fn('PERIOD_START'), fn('DIMENSIONS'), fn('AMOUNT_EXACT')]).toEqual(['TO_NUMBER', 'TO_NUMBER', 'TO_TIMESTAMP_NTZ', 'PARSE_JSON', undefined]);
    expect(using).toContain("TO_TIMESTAMP_NTZ(INCURRED_AT, 'YYYY-MM-DD HH24:MI:SS.FF9') AS INCURRED_AT");
    expect(using).toContain('TO_NUMBER(AMOUNT, 38, 12) AS AMOUNT');

    // The INSERT: one placeholder per column (the grammar reads :n placeholders, Snowflake both).
    let n = 0;
    const ins = parser.astify(insert.replace(/\?/g, () => `:${++n}`), { database: 'snowflake' }) as unknown as { type: string; columns: string[]; values: { values: { value: unknown[] }[] } };
    expect(ins.type).toBe('insert');
    expect(ins.columns).toEqual(names);
    expect(ins.values.values[0]!.value).toHaveLength(names.length);
  });

  it('loads 25,000 lines in 3 batches of at most 10,000 rows, every line once and in order', async () => {
    const lines = manyLines(25_000);
    const from = server.queries.length;
    const { merged } = await loadLinesToSnowflake(TARGET, lines, META, profile());
    const { sql, queries } = sent(from);
    expect(verbs(sql)).toEqual(['CREATE TABLE', 'CREATE TEMPORARY', 'BEGIN', 'INSERT', 'INSERT', 'INSERT', 'MERGE', 'COMMIT']);
    const batches = queries.filter((q) => q.sqlText.startsWith('INSERT')).map(boundRows);
    expect(batches.map((b) => b.length)).toEqual([10_000, 10_000, 5_000]);
    const rows = batches.flat();
    expect(rows.map((r) => r[0])).toEqual(lines.map((l) => l.lineId));
    const at = (name: string) => COLUMNS.findIndex((c) => c.name === name);
    expect(rows[24_999]![at('QUANTITY')]).toBe('24999.5');
    expect(rows[24_999]![at('AMOUNT')]).toBe('24999.01');
    expect(rows[24_999]![at('AMOUNT_EXACT')]).toBe('24999.0125');
    expect(merged).toBe(25_000);
  });

  it('is idempotent: a repeated load sends the same keys to the same MERGE, and Snowflake reports updates', async () => {
    const first = server.queries.length;
    await loadLinesToSnowflake(TARGET, LINES, META, profile());
    const a = sent(first);
    answer = (q) => statementAnswer(q, { inserted: 0, updated: 7 }); // what Snowflake reports when every key matched
    const second = server.queries.length;
    const { merged } = await loadLinesToSnowflake(TARGET, LINES, META, profile());
    const b = sent(second);
    // Same statements but for the staging table's name, same bound rows (late lines keep their run-scoped keys).
    const unstage = (s: { sql: string[]; stage: string }) => s.sql.map((x) => x.split(s.stage).join('<stage>'));
    expect(unstage(b)).toEqual(unstage(a));
    expect(b.sql.find((s) => s.startsWith('MERGE'))).toContain(' ON T.LINE_ID = S.LINE_ID ');
    expect(boundRows(b.queries[3]!)).toEqual(boundRows(a.queries[3]!));
    expect(merged).toBe(7);
  });

  it('rolls back when the MERGE fails, and reports it without secrets', async () => {
    process.env.TALLY_TEST_SF_PAT = 'pat-secret-456';
    answer = (q) => (q.sqlText.startsWith('MERGE')
      ? { error: { code: '100038', sqlState: '22018', message: "Numeric value 'abc' is not recognized" } }
      : statementAnswer(q));
    try {
      const from = server.queries.length;
      const deleted = server.sessionsDeleted;
      const e = await loadLinesToSnowflake(TARGET, LINES, META, profile('authenticator: PROGRAMMATIC_ACCESS_TOKEN\ntoken: { env: TALLY_TEST_SF_PAT }')).catch((x: unknown) => x);
      expect(verbs(sent(from).sql)).toEqual(['CREATE TABLE', 'CREATE TEMPORARY', 'BEGIN', 'INSERT', 'MERGE', 'ROLLBACK']);
      expect(e).toBeInstanceOf(DataError);
      expect((e as Error).message).toBe(`${TARGET}: merging into ${TABLE} failed (Snowflake error 100038, SQL state 22018): Numeric value 'abc' is not recognized`);
      expect((e as DataError).hint).toMatch(/nothing was changed in USAGE\.BILLING\.CHARGE_LINES/);
      expect(`${(e as Error).message} ${(e as DataError).hint} ${JSON.stringify(e)}`).not.toContain('pat-secret-456');
      expect(server.sessionsDeleted).toBe(deleted + 1);
    } finally {
      delete process.env.TALLY_TEST_SF_PAT;
    }
  });

  it('rolls back when a batch fails, before any MERGE', async () => {
    const from = server.queries.length;
    let inserts = 0;
    answer = (q) => (q.sqlText.startsWith('INSERT') && ++inserts === 2
      ? { error: { code: '100078', sqlState: '22000', message: "String '…' is too long and would be truncated" } }
      : loadAnswer(q));
    const e = await loadLinesToSnowflake(TARGET, manyLines(25_000), META, profile()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toBe(`${TARGET}: loading lines into the staging table failed (Snowflake error 100078, SQL state 22000): String '…' is too long and would be truncated`);
    expect(verbs(sent(from).sql)).toEqual(['CREATE TABLE', 'CREATE TEMPORARY', 'BEGIN', 'INSERT', 'INSERT', 'ROLLBACK']);
  });

  it('rides out a lost INSERT response: the driver resends the same request id, which Snowflake runs once', async () => {
    const from = server.queries.length;
    let inserts = 0;
    answer = (q) => {
      // the second batch's response is cut half-way: the statement ran, the driver never heard
      if (q.sqlText.startsWith('INSERT') && ++inserts === 2) server.dropQueryResponses = 1;
      return loadAnswer(q);
    };
    const { merged } = await loadLinesToSnowflake(TARGET, manyLines(25_000), META, profile());
    const { queries } = sent(from);
    const sentInserts = queries.filter((q) => q.sqlText.startsWith('INSERT'));
    expect(sentInserts.map((q) => q.resent)).toEqual([false, false, true, false]);
    expect(sentInserts[2]!.requestId).toBe(sentInserts[1]!.requestId);
    expect(verbs(queries.map((q) => q.sqlText)).slice(-2)).toEqual(['MERGE', 'COMMIT']);
    expect(merged).toBe(25_000);
  });

  it.each([
    'snowflake://wh/CHARGES;DROP TABLE CHARGES',
    'snowflake://wh/CHARGES (LINE_ID) SELECT 1',
    'snowflake://wh/CHARGES--',
    'snowflake://wh/"CHARGES"" ; DROP TABLE X; --',
    'snowflake://wh/A.B.C.D',
    'snowflake://wh/USAGE..CHARGES',
    'snowflake://wh/',
    'snowflake://user:pw@wh/CHARGES',
  ])('refuses %s before connecting', async (target) => {
    const before = server.logins.length;
    const e = await loadLinesToSnowflake(target, LINES, META, profile()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toMatch(/snowflake:\/\/CONNECTION\/DB\.SCHEMA\.TABLE/);
    expect((e as Error).message).not.toContain('pw');
    expect(server.logins.length).toBe(before);
  });

  it('accepts a quoted table name, staging beside it', async () => {
    const from = server.queries.length;
    await loadLinesToSnowflake('snowflake://wh/USAGE."Billing"."Charge ""Lines"""', LINES.slice(0, 1), META, profile());
    const { sql, stage } = sent(from);
    expect(sql[0]).toMatch(/^CREATE TABLE IF NOT EXISTS USAGE\."Billing"\."Charge ""Lines""" \(/);
    expect(stage).toMatch(/^USAGE\."Billing"\.TALLY_STAGE_[0-9A-F]{12}$/);
  });

  it('refuses, before connecting, a value its column would round and a key given twice', async () => {
    const before = server.logins.length;
    const tooFine = line({ lineId: 'x1', quantity: dec('1.0000000000000000001') });
    const e = await loadLinesToSnowflake(TARGET, [tooFine], META, profile()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toBe(`${TARGET}: line x1 (acme, 2026-10, api_calls): the quantity 1.0000000000000000001 does not fit NUMBER(38, 18) (at most 20 digits before the point and 18 after); nothing was loaded`);
    const twice = await loadLinesToSnowflake(TARGET, [line({ lineId: 'x2' }), line({ lineId: 'x2' })], META, profile()).catch((x: unknown) => x);
    expect((twice as Error).message).toMatch(/two lines have the key x2/);
    expect(server.logins.length).toBe(before);
  });
});
