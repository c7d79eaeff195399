/**
 * Snowflake query source: `snowflake://CONNECTION/DB.SCHEMA.TABLE` reads a table, `snowflake://CONNECTION` runs the
 * connection's `query`. --since/--until filter at the source on the connection's `time_column`, with the instants
 * sent as bind values (never spliced into the SQL). Rows stream from the driver into a JSONL spool file, one JSON
 * object per row keyed by column name, with numbers, dates and timestamps as Snowflake's text so no value passes
 * through a float. A failure anywhere (login, the query, the connection mid-stream) removes the partial spool and
 * fails the run whole.
 *
 * Authentication for a batch job: key pair (SNOWFLAKE_JWT, the default), a programmatic access token, an OAuth
 * access token, or a password. EXTERNALBROWSER and the other interactive flows are refused: cron cannot open a
 * browser, and the driver would wait for one.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ConnectionOptions, Connection as SfConnection, RowStatement, SnowflakeError } from 'snowflake-sdk';
import { DataError, UsageError } from '../../cli/errors.js';
import { textSetting, type Connection } from '../profile/profile.js';
import type { InputFile } from './local-files.js';
import type { Fetched, Source, SourceContext } from './source.js';

/** One identifier part: unquoted (Snowflake upper-cases it) or double-quoted with "" for a quote inside. */
const UNQUOTED = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const QUOTED = /^"(?:[^"]|"")+"$/;

/** Session parameters sent with the query so dates and timestamps come out in a layout DuckDB reads, to the nanosecond, with the offset. */
const OUTPUT_FORMATS = {
  DATE_OUTPUT_FORMAT: 'YYYY-MM-DD',
  TIMESTAMP_NTZ_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF9',
  TIMESTAMP_LTZ_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM',
  TIMESTAMP_TZ_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM',
  TIME_OUTPUT_FORMAT: 'HH24:MI:SS.FF9',
};

const SUPPORTED_AUTH = ['SNOWFLAKE_JWT', 'PROGRAMMATIC_ACCESS_TOKEN', 'OAUTH', 'SNOWFLAKE'];

export const snowflakeSource: Source = {
  async fetch(arg: string, ctx: SourceContext): Promise<Fetched> {
    const target = parseArg(arg);
    const conn = ctx.profile.connection(target.connection, 'snowflake');
    const { sql, binds } = buildQuery(target, conn, ctx);
    const options = connectionOptions(conn);
    const readTimeout = readTimeoutSeconds(conn);
    const spool = path.join(ctx.tempDir, `snowflake-${crypto.randomUUID()}.jsonl`);
    const name = target.table ? `snowflake://${target.connection}/${target.table}` : `snowflake://${target.connection}`;
    let records: number;
    try {
      records = await runToSpool(options, sql, binds, spool, name, readTimeout);
    } catch (e) {
      fs.rmSync(spool, { force: true }); // a failed fetch leaves nothing half-written behind
      throw e;
    }
    const file: InputFile = { name, path: spool, format: 'jsonl', compression: 'none', origin: { uri: name, records } };
    return { files: [file] };
  },
};

export interface SnowflakeTarget {
  connection: string;
  /** The table as written in the argument (validated), or undefined for the connection's query. */
  table?: string;
}

/** `snowflake://CONNECTION[/DB.SCHEMA.TABLE]`, refusing anything but plain names and identifiers. */
export function parseArg(arg: string): SnowflakeTarget {
  const m = /^snowflake:\/\/([^/]*)(?:\/(.*))?$/i.exec(arg);
  const connection = m?.[1] ?? '';
  // The connection is a profile key; refusing anything else keeps a user:password@ out of messages and manifests.
  if (!/^[A-Za-z0-9_.-]+$/.test(connection)) {
    throw new UsageError('a snowflake source is snowflake://CONNECTION/DB.SCHEMA.TABLE or snowflake://CONNECTION', 'CONNECTION names a connection of type snowflake in the profile; credentials go there, never in the argument');
  }
  const table = m?.[2];
  if (table === undefined || table === '') return { connection };
  if (splitIdentifier(table) === null) {
    throw new UsageError(
      `snowflake://${connection}/…: the table must be DB.SCHEMA.TABLE, SCHEMA.TABLE or TABLE, each part a name of letters, digits, _ and $ or a double-quoted identifier`,
      'for anything else (filters, joins, column lists) set query: on the connection in the profile',
    );
  }
  return { connection, table };
}

/** The parts of a (possibly qualified) identifier, or null when it is not one. Quoted parts may contain dots. */
export function splitIdentifier(text: string): string[] | null {
  const parts: string[] = [];
  let i = 0;
  while (i <= text.length) {
    let part: string;
    if (text[i] === '"') {
      // a quoted part runs to the next quote that is not doubled
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j < 0) return null;
        if (text[j + 1] === '"') j += 2;
        else break;
      }
      part = text.slice(i, j + 1);
      i = j + 1;
    } else {
      const end = text.indexOf('.', i);
      part = text.slice(i, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
    }
    if (!UNQUOTED.test(part) && !QUOTED.test(part)) return null;
    parts.push(part);
    if (i === text.length) break;
    if (text[i] !== '.') return null;
    i += 1;
  }
  return parts.length >= 1 && parts.length <= 3 ? parts : null;
}

export function buildQuery(target: SnowflakeTarget, conn: Connection, ctx: Pick<SourceContext, 'since' | 'until'>): { sql: string; binds: string[] } {
  let base: string;
  if (target.table) {
    base = `SELECT * FROM ${target.table}`;
  } else {
    const query = textSetting(conn, 'query')?.trim().replace(/;\s*$/, '');
    if (!query) {
      throw new UsageError(`snowflake://${conn.name} names no table and connection "${conn.name}" has no query setting`, `give snowflake://${conn.name}/DB.SCHEMA.TABLE, or set query: on the connection`);
    }
    base = query;
  }
  if (!ctx.since && !ctx.until) return { sql: base, binds: [] };
  const column = textSetting(conn, 'time_column');
  if (!column) {
    // Reading everything when a window was asked for would rate the wrong events: refuse instead.
    throw new UsageError(`--since/--until filter snowflake://${conn.name} on its time_column, which connection "${conn.name}" does not set`, 'set time_column: on the connection (the column holding each event\'s time)');
  }
  const parts = splitIdentifier(column);
  if (parts === null || parts.length !== 1) {
    throw new DataError(`connection "${conn.name}": time_column must be one column name (letters, digits, _ and $) or a double-quoted identifier`);
  }
  const conditions: string[] = [];
  const binds: string[] = [];
  // The instants are UTC with a Z; TO_TIMESTAMP_TZ reads them as instants whatever the column's timestamp flavour.
  if (ctx.since) conditions.push(`${column} >= TO_TIMESTAMP_TZ(?)`), binds.push(ctx.since);
  if (ctx.until) conditions.push(`${column} < TO_TIMESTAMP_TZ(?)`), binds.push(ctx.until);
  const from = target.table ? target.table : `(${base})`;
  return { sql: `SELECT * FROM ${from} WHERE ${conditions.join(' AND ')}`, binds };
}

/** Driver options from the connection's settings; secrets go only into this object, never into messages. */
export function connectionOptions(conn: Connection): ConnectionOptions {
  const where = `connection "${conn.name}"`;
  const account = textSetting(conn, 'account');
  const accessUrl = textSetting(conn, 'access_url');
  const username = textSetting(conn, 'username');
  const authenticator = (textSetting(conn, 'authenticator') ?? 'SNOWFLAKE_JWT').toUpperCase();
  if (!account && !accessUrl) throw new DataError(`${where} has no account`, 'set account: to the account identifier (such as xy12345 or myorg-myaccount)');
  if (authenticator === 'EXTERNALBROWSER' || authenticator === 'OAUTH_AUTHORIZATION_CODE' || authenticator.startsWith('HTTPS://')) {
    throw new DataError(
      `${where}: authenticator ${authenticator.startsWith('HTTPS://') ? '(Okta)' : authenticator} signs in through a web browser, which a batch run cannot open`,
      'use key-pair authentication (authenticator: SNOWFLAKE_JWT with private_key), or a programmatic access token (authenticator: PROGRAMMATIC_ACCESS_TOKEN with token)',
    );
  }
  if (!SUPPORTED_AUTH.includes(authenticator)) {
    throw new DataError(`${where}: authenticator ${authenticator} is not supported`, `use one of ${SUPPORTED_AUTH.join(', ')}`);
  }
  const options: ConnectionOptions = {
    authenticator,
    application: 'tally',
    // Values are read as text (see runToSpool); the driver's own float conversion is never used for output.
    fetchAsString: ['Number', 'Date', 'JSON', 'Buffer'],
    rowMode: 'array',
    // The spool writer, not the driver's buffer, decides the pace: keep the driver's read-ahead modest.
    rowStreamHighWaterMark: 1000,
  };
  if (account) options.account = account;
  if (accessUrl) options.accessUrl = checkAccessUrl(accessUrl, where);
  if (username) options.username = username;
  for (const [key, opt] of [['warehouse', 'warehouse'], ['database', 'database'], ['schema', 'schema'], ['role', 'role']] as const) {
    const v = textSetting(conn, key);
    if (v) options[opt] = v;
  }
  if (authenticator === 'SNOWFLAKE_JWT') {
    if (!username) throw new DataError(`${where}: key-pair authentication needs username`);
    const key = textSetting(conn, 'private_key');
    if (!key) throw new DataError(`${where}: key-pair authentication needs private_key`, 'set private_key: { file: /path/to/key.p8 } (or another authenticator: PROGRAMMATIC_ACCESS_TOKEN with token, SNOWFLAKE with password)');
    const passphrase = textSetting(conn, 'private_key_passphrase');
    // Checked here so a bad key or passphrase is reported plainly; the driver would fail obscurely at login.
    try {
      crypto.createPrivateKey({ key, format: 'pem', ...(passphrase !== undefined ? { passphrase } : {}) });
    } catch {
      throw new DataError(`${where}: private_key is not a PEM private key, or private_key_passphrase does not open it`, 'give the PKCS#8 key (.p8) registered for the user, and its passphrase if it is encrypted');
    }
    options.privateKey = key;
    if (passphrase !== undefined) options.privateKeyPass = passphrase;
  } else if (authenticator === 'SNOWFLAKE') {
    const password = textSetting(conn, 'password');
    if (!username || !password) throw new DataError(`${where}: password authentication needs username and password`, 'set password: { env: NAME } (key-pair authentication is preferred for batch runs)');
    options.password = password;
  } else {
    const token = textSetting(conn, 'token');
    if (!token) throw new DataError(`${where}: authenticator ${authenticator} needs token`, 'set token: { env: NAME } or { file: PATH }');
    options.token = token;
  }
  return options;
}

/**
 * How long to wait for the next row while reading a result (`read_timeout`, seconds; default 120). The driver
 * retries a failed chunk download for about a minute before it reports the failure itself, and retries a lost
 * query response far longer; past this, the run fails rather than hang a cron job.
 */
function readTimeoutSeconds(conn: Connection): number {
  const text = textSetting(conn, 'read_timeout');
  if (text === undefined) return 120;
  const n = Number(text);
  if (!(n > 0)) throw new DataError(`connection "${conn.name}": read_timeout must be a number of seconds above 0`);
  return n;
}

/** https for Snowflake; plain http only to this machine (a test server), so credentials never cross a network in clear. */
function checkAccessUrl(text: string, where: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DataError(`${where}: access_url is not a URL`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new DataError(`${where}: access_url must be https (plain http only to this machine)`);
  }
  return text.replace(/\/+$/, '');
}

type Sdk = typeof import('snowflake-sdk');
let sdk: Promise<Sdk> | undefined;

/** The driver, loaded on first use and configured once. */
function loadSdk(): Promise<Sdk> {
  sdk ??= (async () => {
    // On import the driver probes cloud metadata endpoints (169.254.169.254, metadata.google.internal) to report
    // the platform in its login telemetry; a batch tool should not make network calls nobody asked for.
    process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION ??= 'true';
    const mod = (await import('snowflake-sdk')).default;
    // The driver's own logger writes to stdout and to ./snowflake.log; tally reports errors itself, so the driver
    // logs nowhere. No OCSP setting is changed: over https the checks stay on, and plain http (the loopback test
    // server only, see checkAccessUrl) has no certificates to check.
    const silent = () => {};
    mod.configure({ logLevel: 'OFF', customLogger: { error: silent, warn: silent, info: silent, debug: silent, trace: silent } });
    return mod;
  })();
  return sdk;
}

/** Logs in, runs the query and streams its rows into `spool`; returns the row count. */
async function runToSpool(options: ConnectionOptions, sql: string, binds: string[], spool: string, name: string, readTimeout: number): Promise<number> {
  const snowflake = await loadSdk();
  let connection: SfConnection;
  try {
    connection = snowflake.createConnection(options);
  } catch (e) {
    // The driver's checks of the settings (account syntax and the like); its messages name no values.
    throw new DataError(`${name}: the connection settings were refused: ${(e as Error).message}`, 'check account, access_url and the other settings of the connection');
  }
  try {
    await connect(connection).catch((e: unknown) => {
      throw sfError(name, 'could not log in', e, 'check account, username and the credentials of the connection (for key-pair: the public key registered for the user)');
    });
    const statement = await execute(connection, sql, binds).catch((e: unknown) => {
      throw sfError(name, 'the query failed', e, 'check the table or query and the role\'s privileges');
    });
    const columns = (statement.getColumns() ?? []).map((c) => c.getName());
    const dup = columns.find((c, i) => columns.indexOf(c) !== i);
    if (dup !== undefined) throw new DataError(`${name}: the result has two columns named ${dup}`, 'give the columns distinct aliases in the query');
    const stalled = () => new DataError(`${name}: no rows arrived from Snowflake for ${readTimeout} s while reading the result (the connection was lost?)`, 'check the network to Snowflake and run again; read_timeout on the connection sets the wait');
    return await streamToFile(statement.streamRows(), columns, spool, readTimeout * 1000, stalled).catch((e: unknown) => {
      throw e instanceof DataError ? e : sfError(name, 'reading the result failed', e, 'run again; if it fails again, check the query in Snowflake');
    });
  } finally {
    await destroy(connection);
  }
}

/** Logs in. (connectAsync() resolves even when the login is refused: the driver reports that only to a callback.) */
function connect(connection: SfConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    connection.connect((err) => (err ? reject(err) : resolve()));
  });
}

function execute(connection: SfConnection, sqlText: string, binds: string[]): Promise<RowStatement> {
  return new Promise((resolve, reject) => {
    connection.execute({
      sqlText,
      binds,
      streamResult: true,
      parameters: OUTPUT_FORMATS,
      complete: (err, stmt) => (err ? reject(err) : resolve(stmt)),
    });
  });
}

/**
 * Rows to JSON lines with back-pressure: the row stream pauses while the file stream's buffer is full. A watchdog
 * fails the read when no row arrives for between one and two `timeoutMs` (waiting for the disk does not count).
 */
function streamToFile(rows: Readable, columns: string[], file: string, timeoutMs: number, stalled: () => Error): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(file);
    let count = 0;
    let failed = false;
    let seen = -1;
    let paused = false;
    const watchdog = setInterval(() => {
      if (!paused && count === seen) fail(stalled());
      seen = count;
    }, timeoutMs);
    const fail = (e: unknown) => {
      clearInterval(watchdog);
      if (failed) return;
      failed = true;
      rows.destroy();
      // Settle once the file is closed, so the caller's removal of the spool cannot race its opening.
      out.once('close', () => reject(e));
      out.destroy();
    };
    rows.on('data', (row: unknown[]) => {
      const record: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) record[columns[i]!] = row[i] ?? null;
      count += 1;
      if (!out.write(`${JSON.stringify(record)}\n`)) {
        paused = true;
        rows.pause();
        out.once('drain', () => {
          paused = false;
          seen = -1;
          rows.resume();
        });
      }
    });
    rows.on('error', fail);
    out.on('error', fail);
    rows.on('end', () => {
      clearInterval(watchdog);
      out.end();
    });
    out.on('finish', () => {
      if (!failed) resolve(count);
    });
  });
}

function destroy(connection: SfConnection): Promise<void> {
  // Ends the session on the server (best effort: a dead connection cannot be told, and the run's outcome is decided).
  return new Promise((resolve) => {
    try {
      connection.destroy(() => resolve());
    } catch {
      resolve();
    }
  });
}

/** The driver's codes for a connection that failed mid-request (to Snowflake, or to the cloud storage holding result chunks). */
const NETWORK_CODES = new Set([401001, 402001]);

/** A driver error as a DataError naming the source and Snowflake's code and message (they never hold credentials). */
function sfError(name: string, what: string, e: unknown, hint: string): DataError {
  const err = e as SnowflakeError;
  const code = err.code !== undefined ? ` ${String(err.code)}` : '';
  const state = err.sqlState ? `, SQL state ${err.sqlState}` : '';
  const message = (err.message || String(e)).split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  if (NETWORK_CODES.has(Number(err.code))) {
    return new DataError(`${name}: ${what}: the connection to Snowflake was lost (Snowflake error${code}): ${message}`, 'check the network to Snowflake and run again; nothing was read');
  }
  return new DataError(`${name}: ${what} (Snowflake error${code}${state}): ${message}`, hint);
}
