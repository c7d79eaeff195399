/**
 * Connecting to Snowflake with snowflake-sdk, shared by the source (src/io/sources/snowflake.ts) and the table sink
 * (src/io/sinks/snowflake.ts): driver options from a profile connection, the driver loaded once and silenced, login
 * and session end, and driver errors as DataErrors that never carry a secret.
 *
 * Authentication for a batch job: key pair (SNOWFLAKE_JWT, the default), a programmatic access token, an OAuth
 * access token, or a password. EXTERNALBROWSER and the other interactive flows are refused: cron cannot open a
 * browser, and the driver would wait for one.
 */
import crypto from 'node:crypto';
import type { ConnectionOptions, Connection as SfConnection, SnowflakeError } from 'snowflake-sdk';
import { DataError } from '../../cli/errors.js';
import { textSetting, type Connection } from '../profile/profile.js';

const SUPPORTED_AUTH = ['SNOWFLAKE_JWT', 'PROGRAMMATIC_ACCESS_TOKEN', 'OAUTH', 'SNOWFLAKE'];

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
    // Values are read as text (see the source's runToSpool); the driver's own float conversion is never used for output.
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
export function readTimeoutSeconds(conn: Connection): number {
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

/**
 * A logged-in session. `name` (the snowflake://… argument, never holding credentials) prefixes the errors. The
 * caller ends the session with `closeSession` whatever happens.
 */
export async function openSession(options: ConnectionOptions, name: string): Promise<SfConnection> {
  const snowflake = await loadSdk();
  let connection: SfConnection;
  try {
    connection = snowflake.createConnection(options);
  } catch (e) {
    // The driver's checks of the settings (account syntax and the like); its messages name no values.
    throw new DataError(`${name}: the connection settings were refused: ${(e as Error).message}`, 'check account, access_url and the other settings of the connection');
  }
  try {
    // connectAsync() resolves even when the login is refused: the driver reports that only to a callback.
    await new Promise<void>((resolve, reject) => {
      connection.connect((err) => (err ? reject(err) : resolve()));
    });
  } catch (e) {
    await closeSession(connection);
    throw sfError(name, 'could not log in', e, 'check account, username and the credentials of the connection (for key-pair: the public key registered for the user)');
  }
  return connection;
}

/** Ends the session on the server (best effort: a dead connection cannot be told, and the outcome is decided). */
export function closeSession(connection: SfConnection): Promise<void> {
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

/** A driver error as a DataError naming the target and Snowflake's code and message (they never hold credentials). */
export function sfError(name: string, what: string, e: unknown, hint: string, lostHint = 'check the network to Snowflake and run again; nothing was read'): DataError {
  const err = e as SnowflakeError;
  const code = err.code !== undefined ? ` ${String(err.code)}` : '';
  const state = err.sqlState ? `, SQL state ${err.sqlState}` : '';
  const message = (err.message || String(e)).split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  if (NETWORK_CODES.has(Number(err.code))) {
    return new DataError(`${name}: ${what}: the connection to Snowflake was lost (Snowflake error${code}): ${message}`, lostHint);
  }
  return new DataError(`${name}: ${what} (Snowflake error${code}${state}): ${message}`, hint);
}
