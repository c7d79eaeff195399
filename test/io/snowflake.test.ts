/**
 * The Snowflake source against the real snowflake-sdk driver, pointed (access_url) at a loopback server that
 * speaks the driver's protocol (test/helpers/snowflake-server.ts): login, query, chunked results, errors.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseProfile } from '../../src/io/profile/profile.js';
import { snowflakeSource } from '../../src/io/sources/snowflake.js';
import type { SourceContext } from '../../src/io/sources/source.js';
import { DataError, UsageError } from '../../src/cli/errors.js';
import { SnowflakeServer, type QueryAnswer, type ReceivedQuery } from '../helpers/snowflake-server.js';

const BIG = '12345678901234567890.123456789';
const ROWS = 100_000;

let dir: string;
let keyFile: string;
let server: SnowflakeServer;
let answer: (q: ReceivedQuery) => QueryAnswer;

const events = (count: number): QueryAnswer => ({
  columns: [
    { name: 'ID', type: 'fixed', precision: 38, scale: 0 },
    { name: 'ACCOUNT', type: 'text' },
    { name: 'AMOUNT', type: 'fixed', precision: 38, scale: 9 },
    { name: 'TS', type: 'timestamp_ntz', scale: 9 },
    { name: 'DAY', type: 'date' },
    { name: 'ATTRS', type: 'variant' },
    { name: 'BILLABLE', type: 'boolean' },
  ],
  rows: {
    count,
    // 1727740800 = 2024-10-01T00:00:00Z; the JSON result format sends timestamps as seconds.nanoseconds, dates as days.
    row: (i) => [String(i + 1), `acct-${i % 7}`, i === 0 ? BIG : `${i}.000000001`, `${1727740800 + i}.123456789`, '19997', i % 2 ? null : '{"region":"eu"}', i % 3 ? 'TRUE' : 'FALSE'],
  },
});

function profile(settings: string): ReturnType<typeof parseProfile> {
  return parseProfile(`connections:\n  wh:\n    type: snowflake\n    access_url: ${server.url}\n    account: XY12345\n${settings.replace(/^/gm, '    ')}\n`, 'tally.yaml');
}

const jwt = () => `username: tally\nprivate_key: { file: ${keyFile} }\nwarehouse: BILLING_WH\ndatabase: USAGE\nschema: RAW\nrole: TALLY`;

function ctx(settings: string, extra: Partial<SourceContext> = {}): SourceContext {
  const tempDir = fs.mkdtempSync(path.join(dir, 'run-'));
  return { tempDir, profile: profile(settings), declared: 'auto', ...extra };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-sf-'));
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  keyFile = path.join(dir, 'key.p8');
  fs.writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  server = await new SnowflakeServer({
    account: 'XY12345',
    users: { TALLY: { publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() }, PAT_USER: { token: 'pat-secret-123' } },
    answer: (q) => answer(q),
  }).start();
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  answer = () => events(3);
  server.dropChunkResponses = 0;
  server.dropQueryResponses = 0;
});

const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('snowflake source', () => {
  it('logs in with a key pair and spools rows as JSON objects keyed by column', async () => {
    const c = ctx(jwt());
    const { files } = await snowflakeSource.fetch('snowflake://wh/USAGE.RAW.EVENTS', c);
    expect(files).toHaveLength(1);
    const f = files[0]!;
    expect(f).toMatchObject({ name: 'snowflake://wh/USAGE.RAW.EVENTS', format: 'jsonl', compression: 'none', origin: { uri: 'snowflake://wh/USAGE.RAW.EVENTS', records: 3 } });
    expect(path.dirname(f.path)).toBe(c.tempDir);
    const rows = lines(f.path);
    expect(rows[0]).toEqual({ ID: '1', ACCOUNT: 'acct-0', AMOUNT: BIG, TS: '2024-10-01 00:00:00.123456789', DAY: '2024-10-01', ATTRS: '{"region":"eu"}', BILLABLE: false });
    expect(rows[1]).toMatchObject({ ATTRS: null, BILLABLE: true });
    const login = server.logins.at(-1)!;
    expect(login).toMatchObject({ account: 'XY12345', user: 'TALLY', authenticator: 'SNOWFLAKE_JWT', ok: true });
    expect(login.query).toMatchObject({ warehouse: 'BILLING_WH', databaseName: 'USAGE', schemaName: 'RAW', roleName: 'TALLY' });
    expect(server.queries.at(-1)!.sqlText).toBe('SELECT * FROM USAGE.RAW.EVENTS');
  });

  it('streams 100,000 rows through chunks with every decimal exact, and ends the session', async () => {
    answer = () => events(ROWS);
    const deletedBefore = server.sessionsDeleted;
    const chunksBefore = server.chunkRequests.length;
    const { files } = await snowflakeSource.fetch('snowflake://wh/EVENTS', ctx(jwt()));
    expect(files[0]!.origin).toEqual({ uri: 'snowflake://wh/EVENTS', records: ROWS });
    const rows = lines(files[0]!.path);
    expect(rows).toHaveLength(ROWS);
    expect(rows[0]!.AMOUNT).toBe(BIG);
    // every row once, in order, each amount as Snowflake's text (a float would print 1.000000001e-9 style or round)
    rows.forEach((r, i) => {
      expect(r.ID).toBe(String(i + 1));
      if (i > 0) expect(r.AMOUNT).toBe(`${i}.000000001`);
    });
    expect(rows[ROWS - 1]!.TS).toBe('2024-10-02 03:46:39.123456789');
    // 1,000 rows inline, the rest in 5 chunks of 20,000 fetched from the "cloud storage" URLs
    expect(server.chunkRequests.length - chunksBefore).toBe(5);
    expect(server.sessionsDeleted).toBe(deletedBefore + 1);
    expect(server.telemetryEvents).toBeGreaterThan(0); // the driver's in-band telemetry after login was answered
  });

  it('sends --since/--until as binds on the time column, never in the SQL text', async () => {
    const since = '2024-10-01T00:00:00.000Z';
    const until = "2024-11-01T00:00:00.000Z'; DROP TABLE X; --"; // binds carry even hostile text as a value
    await snowflakeSource.fetch('snowflake://wh/USAGE.RAW."Events"', ctx(`${jwt()}\ntime_column: EVENT_TIME`, { since, until }));
    const q = server.queries.at(-1)!;
    expect(q.sqlText).toBe('SELECT * FROM USAGE.RAW."Events" WHERE EVENT_TIME >= TO_TIMESTAMP_TZ(?) AND EVENT_TIME < TO_TIMESTAMP_TZ(?)');
    expect(q.bindings).toEqual({ 1: { type: 'TEXT', value: since }, 2: { type: 'TEXT', value: until } });
    // the output formats that keep timestamps exact and readable go with the statement
    expect(q.parameters).toMatchObject({ TIMESTAMP_NTZ_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF9' });
  });

  it("wraps the connection's query only when a window is given", async () => {
    const settings = `${jwt()}\nquery: "SELECT id, ts FROM usage.raw.events WHERE kind = 'api';"\ntime_column: '"ts"'`;
    const { files } = await snowflakeSource.fetch('snowflake://wh', ctx(settings));
    expect(server.queries.at(-1)!.sqlText).toBe("SELECT id, ts FROM usage.raw.events WHERE kind = 'api'");
    expect(files[0]!.origin).toEqual({ uri: 'snowflake://wh', records: 3 });
    await snowflakeSource.fetch('snowflake://wh', ctx(settings, { since: '2024-10-01T00:00:00.000Z' }));
    const q = server.queries.at(-1)!;
    expect(q.sqlText).toBe(`SELECT * FROM (SELECT id, ts FROM usage.raw.events WHERE kind = 'api') WHERE "ts" >= TO_TIMESTAMP_TZ(?)`);
    expect(q.bindings).toEqual({ 1: { type: 'TEXT', value: '2024-10-01T00:00:00.000Z' } });
  });

  it('refuses a window without a time_column rather than read everything', async () => {
    await expect(snowflakeSource.fetch('snowflake://wh/EVENTS', ctx(jwt(), { since: '2024-10-01T00:00:00.000Z' }))).rejects.toThrow(/time_column/);
  });

  it.each([
    'snowflake://wh/EVENTS;DROP TABLE EVENTS',
    'snowflake://wh/EVENTS WHERE 1=1',
    'snowflake://wh/EVENTS--',
    'snowflake://wh/"EVENTS"" ; DROP TABLE X; --',
    'snowflake://wh/A.B.C.D',
    'snowflake://wh/USAGE..EVENTS',
    'snowflake://wh/(SELECT 1)',
    'snowflake://wh/1EVENTS',
  ])('refuses %s before connecting', async (arg) => {
    const before = server.logins.length;
    const e = await snowflakeSource.fetch(arg, ctx(jwt())).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toMatch(/DB\.SCHEMA\.TABLE/);
    expect(server.logins.length).toBe(before);
  });

  it('refuses a time_column that is not one identifier', async () => {
    const e = await snowflakeSource.fetch('snowflake://wh/EVENTS', ctx(`${jwt()}\ntime_column: "ts > 0 OR 1"`, { since: '2024-10-01T00:00:00.000Z' })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toMatch(/time_column must be one column name/);
  });

  it('refuses EXTERNALBROWSER: a batch run cannot open a browser', async () => {
    const before = server.logins.length;
    const e = await snowflakeSource.fetch('snowflake://wh/EVENTS', ctx('username: tally\nauthenticator: externalbrowser')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as DataError).message).toMatch(/EXTERNALBROWSER signs in through a web browser, which a batch run cannot open/);
    expect((e as DataError).hint).toMatch(/SNOWFLAKE_JWT/);
    expect(server.logins.length).toBe(before);
  });

  it('logs in with a programmatic access token', async () => {
    process.env.TALLY_TEST_SF_PAT = 'pat-secret-123';
    try {
      const { files } = await snowflakeSource.fetch('snowflake://wh/EVENTS', ctx('authenticator: PROGRAMMATIC_ACCESS_TOKEN\ntoken: { env: TALLY_TEST_SF_PAT }'));
      expect(files[0]!.origin!.records).toBe(3);
      expect(server.logins.at(-1)).toMatchObject({ authenticator: 'PROGRAMMATIC_ACCESS_TOKEN', user: 'PAT_USER', ok: true });
    } finally {
      delete process.env.TALLY_TEST_SF_PAT;
    }
  });

  it('reports a refused login with Snowflake\'s code, and no secret', async () => {
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const wrongKey = path.join(dir, 'wrong.p8');
    fs.writeFileSync(wrongKey, other);
    const c = ctx(`username: tally\nprivate_key: { file: ${wrongKey} }`);
    const e = await snowflakeSource.fetch('snowflake://wh/EVENTS', c).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toBe('snowflake://wh/EVENTS: could not log in (Snowflake error 390144): JWT token is invalid.');
    expect((e as DataError).hint).toMatch(/public key registered/);
    expect(JSON.stringify(e) + (e as Error).message).not.toContain('PRIVATE KEY');
    expect(fs.readdirSync(c.tempDir)).toEqual([]);
  });

  it('reports a failed query with its code, SQL state and message', async () => {
    answer = () => ({ error: { code: '002003', sqlState: '42S02', message: "SQL compilation error:\nObject 'USAGE.RAW.NOPE' does not exist or not authorized." } });
    const c = ctx(jwt());
    const e = await snowflakeSource.fetch('snowflake://wh/USAGE.RAW.NOPE', c).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toBe("snowflake://wh/USAGE.RAW.NOPE: the query failed (Snowflake error 002003, SQL state 42S02): SQL compilation error: Object 'USAGE.RAW.NOPE' does not exist or not authorized.");
    expect((e as DataError).hint).toMatch(/privileges/);
    expect(fs.readdirSync(c.tempDir)).toEqual([]);
  });

  it('fails with the driver\'s error when the connection drops mid-response, leaving no spool', async () => {
    server.dropQueryResponses = 1;
    const c = ctx(jwt());
    const e = await snowflakeSource.fetch('snowflake://wh/EVENTS', c).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toBe('snowflake://wh/EVENTS: the query failed: the connection to Snowflake was lost (Snowflake error 401001): stream has been aborted');
    expect(fs.readdirSync(c.tempDir)).toEqual([]);
  });

  it('rides out one dropped chunk download (the driver retries it), with every row once', async () => {
    answer = () => events(30_000);
    server.dropChunkIndex = 0;
    server.dropChunkResponses = 1;
    const { files } = await snowflakeSource.fetch('snowflake://wh/EVENTS', ctx(jwt()));
    const rows = lines(files[0]!.path);
    expect(rows.map((r) => r.ID)).toEqual(Array.from({ length: 30_000 }, (_, i) => String(i + 1)));
    expect(server.dropChunkResponses).toBe(0);
  });

  it('fails whole when the connection stays down mid-stream, leaving no spool', async () => {
    answer = () => events(50_000);
    server.dropChunkIndex = 1;
    server.dropChunkResponses = 1_000;
    const c = ctx(`${jwt()}\nread_timeout: 1`);
    const e = await snowflakeSource.fetch('snowflake://wh/EVENTS', c).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toBe('snowflake://wh/EVENTS: no rows arrived from Snowflake for 1 s while reading the result (the connection was lost?)');
    expect(fs.readdirSync(c.tempDir)).toEqual([]);
  });
});
