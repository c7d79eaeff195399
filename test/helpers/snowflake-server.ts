/**
 * A small HTTP server on loopback that speaks enough of Snowflake's REST protocol for the real snowflake-sdk
 * driver (pointed at it with accessUrl): login (key-pair JWT verified against the user's public key, password,
 * programmatic access token, OAuth token), query requests answered in the JSON result format (rowtype + an
 * inline first rowset + further chunks downloaded from this same server, gzip-encoded as cloud storage serves
 * them), telemetry, heartbeat and session delete. It records the SQL text, binds and statement parameters it
 * received (array binds too: one array of values per placeholder), and can be told to fail a query or to drop the
 * connection part-way through a response. `statementAnswer` answers DDL, DML and transaction statements with the
 * result Snowflake sends for them (a status, or the DML row counts the driver sums in getNumUpdatedRows).
 *
 * No Snowflake emulator exists; this is the protocol as the driver (v3.3) reads it, not Snowflake's semantics:
 * the test decides what each query returns.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

/** A column as Snowflake describes it in `rowtype`. */
export interface SfColumn {
  name: string;
  type: 'fixed' | 'real' | 'text' | 'boolean' | 'date' | 'timestamp_ntz' | 'timestamp_ltz' | 'timestamp_tz' | 'variant' | 'binary';
  scale?: number;
  precision?: number;
  nullable?: boolean;
}

/** Rows in the JSON result format: every value is text (or null), as Snowflake sends it. */
export type SfRow = (string | null)[];

export type QueryAnswer =
  | {
      columns: SfColumn[];
      rows: SfRow[] | { count: number; row: (i: number) => SfRow };
      /** Snowflake's statement type (default 0x1000, a SELECT); the driver counts updated rows only for DML (0x3000–0x3fff). */
      statementTypeId?: number;
    }
  | { error: { code: string; message: string; sqlState: string } };

export interface ReceivedQuery {
  sqlText: string;
  /** The binds as the driver sent them: position (1-based, as text) → { type, value }; with array binds, value is one array per placeholder. */
  bindings: Record<string, { type: string; value: unknown }> | undefined;
  parameters: Record<string, unknown> | undefined;
  /** The driver's id for the request; a resend (after a lost response) carries the same one. */
  requestId: string | null;
  /** A resend of a request already answered: Snowflake runs a request id once and answers again, and so does this server. */
  resent: boolean;
}

export interface SfUser {
  /** Key-pair authentication: the user's registered public key (PEM). */
  publicKeyPem?: string;
  password?: string;
  /** Programmatic access token or OAuth access token. */
  token?: string;
}

export interface SnowflakeServerOptions {
  account: string;
  users: Record<string, SfUser>;
  /** Answers a query (or a promise of the answer: a test may compute it with DuckDB); the default answers every query with one row. */
  answer?: (q: ReceivedQuery) => QueryAnswer | Promise<QueryAnswer>;
  /** Rows returned inline with the query response; the rest go to chunks (Snowflake inlines only a small first part). */
  inlineRows?: number;
  chunkRows?: number;
}

export interface LoginRecord {
  account: string;
  user: string;
  authenticator: string;
  ok: boolean;
  query: Record<string, string>;
}

/** Session parameters as a fresh Snowflake account reports them (the ones the driver uses to format values). */
const DEFAULT_PARAMETERS: Record<string, unknown> = {
  TIMEZONE: 'America/Los_Angeles',
  TIMESTAMP_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM',
  TIMESTAMP_NTZ_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF3',
  TIMESTAMP_LTZ_OUTPUT_FORMAT: '',
  TIMESTAMP_TZ_OUTPUT_FORMAT: '',
  DATE_OUTPUT_FORMAT: 'YYYY-MM-DD',
  TIME_OUTPUT_FORMAT: 'HH24:MI:SS',
  BINARY_OUTPUT_FORMAT: 'HEX',
  CLIENT_RESULT_CHUNK_SIZE: 160,
  CLIENT_SESSION_KEEP_ALIVE: false,
};

export class SnowflakeServer {
  url = '';
  readonly queries: ReceivedQuery[] = [];
  readonly logins: LoginRecord[] = [];
  readonly chunkRequests: string[] = [];
  telemetryEvents = 0;
  sessionsDeleted = 0;
  /** Drop the connection half-way through the body of this many chunk responses (then answer normally). */
  dropChunkResponses = 0;
  /** Which chunk (index into the query's chunks) the drops apply to. */
  dropChunkIndex = 1;
  /** Drop the connection half-way through the body of this many query responses. */
  dropQueryResponses = 0;

  private readonly server: http.Server;
  private readonly sessions = new Map<string, string>(); // session token → user
  private readonly chunks = new Map<string, { body: Buffer; key: string }>();
  private readonly answered = new Map<string, QueryAnswer>(); // request id → answer, for resends
  private nextId = 1;

  constructor(private readonly opts: SnowflakeServerOptions) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) json(res, 500, { success: false, message: String(e) });
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await readBody(req);
    if (req.method === 'POST' && url.pathname === '/session/v1/login-request') return this.login(url, body, res);
    if (req.method === 'GET' && url.pathname.startsWith('/chunks/')) return this.chunk(url.pathname, req, res);
    const user = this.sessionUser(req);
    if (!user) return json(res, 200, { success: false, code: '390104', message: 'Session no longer exists.  New login required to access the service.', data: null });
    if (req.method === 'POST' && url.pathname === '/queries/v1/query-request') return this.query(url, body, res);
    if (req.method === 'POST' && url.pathname === '/telemetry/send') {
      this.telemetryEvents += 1;
      return json(res, 200, { success: true, data: 'Log Received', code: null, message: null });
    }
    if (req.method === 'POST' && url.pathname === '/session/heartbeat') return json(res, 200, { success: true, data: null, code: null, message: null });
    if (req.method === 'POST' && url.pathname === '/session' && url.searchParams.get('delete') === 'true') {
      this.sessionsDeleted += 1;
      this.sessions.delete(tokenOf(req) ?? '');
      return json(res, 200, { success: true, data: null, code: null, message: null });
    }
    json(res, 404, { success: false, code: '000404', message: `no such endpoint ${req.method} ${url.pathname}` });
  }

  private sessionUser(req: http.IncomingMessage): string | undefined {
    const token = tokenOf(req);
    return token === undefined ? undefined : this.sessions.get(token);
  }

  private login(url: URL, body: unknown, res: http.ServerResponse): void {
    const data = ((body as { data?: Record<string, unknown> }).data ?? {}) as Record<string, unknown>;
    const authenticator = String(data.AUTHENTICATOR ?? 'SNOWFLAKE').toUpperCase();
    const account = String(data.ACCOUNT_NAME ?? '').toUpperCase();
    let userName = String(data.LOGIN_NAME ?? '').toUpperCase();
    let ok = account === this.opts.account.toUpperCase();
    if (ok) {
      if (authenticator === 'SNOWFLAKE_JWT') {
        userName = verifyJwt(String(data.TOKEN ?? ''), account, this.opts.users) ?? '';
        ok = userName !== '';
      } else if (authenticator === 'PROGRAMMATIC_ACCESS_TOKEN' || authenticator === 'OAUTH') {
        const found = Object.entries(this.opts.users).find(([, u]) => u.token !== undefined && u.token === data.TOKEN);
        userName = found?.[0].toUpperCase() ?? '';
        ok = found !== undefined;
      } else {
        const u = this.opts.users[userName];
        ok = u?.password !== undefined && u.password === data.PASSWORD;
      }
    }
    this.logins.push({ account, user: userName, authenticator, ok, query: Object.fromEntries(url.searchParams) });
    if (!ok) {
      // What Snowflake answers: HTTP 200 with success false and a GS error code.
      const [code, message] = authenticator === 'SNOWFLAKE_JWT' ? ['390144', 'JWT token is invalid.'] : ['390100', 'Incorrect username or password was specified.'];
      return json(res, 200, { success: false, code, message, data: { nextAction: 'RETRY_LOGIN', authnMethod: authenticator } });
    }
    const token = `session-${crypto.randomUUID()}`;
    this.sessions.set(token, userName);
    json(res, 200, {
      success: true,
      code: null,
      message: null,
      data: {
        token,
        masterToken: `master-${crypto.randomUUID()}`,
        validityInSeconds: 3600,
        masterValidityInSeconds: 14400,
        sessionId: this.nextId++,
        parameters: Object.entries(DEFAULT_PARAMETERS).map(([name, value]) => ({ name, value })),
        sessionInfo: { databaseName: url.searchParams.get('databaseName'), schemaName: url.searchParams.get('schemaName'), warehouseName: url.searchParams.get('warehouse'), roleName: url.searchParams.get('roleName') },
      },
    });
  }

  private async query(url: URL, body: unknown, res: http.ServerResponse): Promise<void> {
    const b = body as { sqlText: string; bindings?: ReceivedQuery['bindings']; parameters?: Record<string, unknown> };
    const requestId = url.searchParams.get('requestId');
    const earlier = requestId === null ? undefined : this.answered.get(requestId);
    const q: ReceivedQuery = { sqlText: b.sqlText, bindings: b.bindings, parameters: b.parameters, requestId, resent: earlier !== undefined };
    this.queries.push(q);
    const queryId = `01b0${crypto.randomUUID().slice(4)}`;
    const answer = earlier ?? await (this.opts.answer ?? defaultAnswer)(q);
    if (requestId !== null) this.answered.set(requestId, answer);
    if ('error' in answer) {
      return json(res, 200, {
        success: false,
        code: answer.error.code,
        message: answer.error.message,
        data: { internalError: false, errorCode: answer.error.code, age: 0, sqlState: answer.error.sqlState, queryId, line: -1, pos: -1, type: 'COMPILATION' },
      });
    }
    // Statement-level parameters apply to this query and come back with its result, where the driver reads the
    // output formats it uses to render dates and timestamps.
    const parameters = { ...DEFAULT_PARAMETERS, ...(q.parameters ?? {}) };
    const count = Array.isArray(answer.rows) ? answer.rows.length : answer.rows.count;
    const rowAt = Array.isArray(answer.rows) ? (i: number) => (answer.rows as SfRow[])[i]! : answer.rows.row;
    const inline = Math.min(count, this.opts.inlineRows ?? 1000);
    const chunkRows = this.opts.chunkRows ?? 20_000;
    const rowset: SfRow[] = [];
    for (let i = 0; i < inline; i++) rowset.push(rowAt(i));
    const qrmk = crypto.randomBytes(32).toString('base64');
    const chunks: { url: string; rowCount: number; uncompressedSize: number; compressedSize: number }[] = [];
    for (let start = inline, n = 0; start < count; start += chunkRows, n++) {
      const end = Math.min(count, start + chunkRows);
      // A chunk is the rows joined by commas without the outer brackets; the driver adds them before parsing.
      const parts: string[] = [];
      for (let i = start; i < end; i++) parts.push(JSON.stringify(rowAt(i)));
      const raw = Buffer.from(parts.join(','));
      const gz = zlib.gzipSync(raw);
      const path = `/chunks/${queryId}/${n}`;
      this.chunks.set(path, { body: gz, key: qrmk });
      chunks.push({ url: `${this.url}${path}`, rowCount: end - start, uncompressedSize: raw.length, compressedSize: gz.length });
    }
    const payload = {
      success: true,
      code: null,
      message: null,
      data: {
        parameters: Object.entries(parameters).map(([name, value]) => ({ name, value })),
        rowtype: answer.columns.map((c) => ({
          name: c.name,
          database: 'USAGE',
          schema: 'RAW',
          table: 'EVENTS',
          nullable: c.nullable ?? true,
          type: c.type,
          scale: c.scale ?? (c.type.startsWith('timestamp') ? 9 : 0),
          precision: c.precision ?? (c.type === 'fixed' ? 38 : 0),
          byteLength: c.type === 'text' ? 16777216 : null,
          length: c.type === 'text' ? 16777216 : null,
          collation: null,
        })),
        rowset,
        total: count,
        returned: count,
        queryId,
        databaseProvider: null,
        finalDatabaseName: 'USAGE',
        finalSchemaName: 'RAW',
        finalWarehouseName: 'BILLING_WH',
        finalRoleName: 'TALLY',
        numberOfBinds: q.bindings ? Object.keys(q.bindings).length : 0,
        arrayBindSupported: false,
        statementTypeId: answer.statementTypeId ?? 0x1000,
        version: 1,
        sendResultTime: Date.now(),
        queryResultFormat: 'json',
        ...(chunks.length ? { chunks, qrmk, chunkHeaders: { 'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-amz-server-side-encryption-customer-key': qrmk } } : {}),
      },
    };
    if (this.dropQueryResponses > 0) {
      this.dropQueryResponses -= 1;
      return dropHalfway(res, 200, { 'Content-Type': 'application/json' }, Buffer.from(JSON.stringify(payload)));
    }
    json(res, 200, payload);
  }

  private chunk(path: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    this.chunkRequests.push(path);
    const chunk = this.chunks.get(path);
    if (!chunk) {
      res.writeHead(404, { 'Content-Type': 'application/xml' });
      return void res.end('<Error><Code>NoSuchKey</Code></Error>');
    }
    // Like S3 with SSE-C: the key from the query response must come back as a header.
    if (req.headers['x-amz-server-side-encryption-customer-key'] !== chunk.key) {
      res.writeHead(403, { 'Content-Type': 'application/xml' });
      return void res.end('<Error><Code>AccessDenied</Code></Error>');
    }
    const headers = { 'Content-Type': 'binary/octet-stream', 'Content-Encoding': 'gzip' };
    if (this.dropChunkResponses > 0 && path.endsWith(`/${this.dropChunkIndex}`)) {
      this.dropChunkResponses -= 1;
      return dropHalfway(res, 200, headers, chunk.body);
    }
    res.writeHead(200, { ...headers, 'Content-Length': chunk.body.length });
    res.end(chunk.body);
  }
}

function defaultAnswer(): QueryAnswer {
  return { columns: [{ name: '1', type: 'fixed' }], rows: [['1']] };
}

/** The rows a query bound: array binds (one array per placeholder) turned back into rows; plain binds as one row. */
export function boundRows(q: ReceivedQuery): (string | null)[][] {
  const positions = Object.keys(q.bindings ?? {}).map(Number).sort((a, b) => a - b);
  if (!positions.length) return [];
  const values = positions.map((p) => q.bindings![String(p)]!.value);
  if (!Array.isArray(values[0])) return [values as (string | null)[]];
  const columns = values as (string | null)[][];
  return columns[0]!.map((_, row) => columns.map((c) => c[row] ?? null));
}

/** Statement types as Snowflake reports them; the driver reads only the DML range (rows inserted/updated). */
const STATEMENT_TYPE = { insert: 0x3100, merge: 0x3400, ddl: 0x6000, transaction: 0x5000 } as const;

const status = (text: string, statementTypeId: number): QueryAnswer => ({ columns: [{ name: 'status', type: 'text' }], rows: [[text]], statementTypeId });

/**
 * What Snowflake answers to the statements of a load: CREATE and transaction statements a status row, an INSERT
 * the rows it bound, a MERGE the counts the test gives (the server does not run SQL, so it cannot know them).
 * Anything else gets the default one-row answer.
 */
export function statementAnswer(q: ReceivedQuery, merge: { inserted: number; updated: number } = { inserted: 0, updated: 0 }): QueryAnswer {
  const verb = /^\s*(\w+)/.exec(q.sqlText)?.[1]?.toUpperCase();
  switch (verb) {
    case 'CREATE':
      return status('Statement executed successfully.', STATEMENT_TYPE.ddl);
    case 'BEGIN':
    case 'COMMIT':
    case 'ROLLBACK':
      return status('Statement executed successfully.', STATEMENT_TYPE.transaction);
    case 'INSERT':
      return { columns: [{ name: 'number of rows inserted', type: 'fixed' }], rows: [[String(boundRows(q).length)]], statementTypeId: STATEMENT_TYPE.insert };
    case 'MERGE':
      return {
        columns: [{ name: 'number of rows inserted', type: 'fixed' }, { name: 'number of rows updated', type: 'fixed' }],
        rows: [[String(merge.inserted), String(merge.updated)]],
        statementTypeId: STATEMENT_TYPE.merge,
      };
    default:
      return defaultAnswer();
  }
}

/** Sends the headers and half the body, then cuts the connection: what a network failure mid-transfer looks like. */
function dropHalfway(res: http.ServerResponse, status: number, headers: Record<string, string>, body: Buffer): void {
  res.writeHead(status, { ...headers, 'Content-Length': body.length });
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function tokenOf(req: http.IncomingMessage): string | undefined {
  return /^Snowflake Token="([^"]*)"$/.exec(req.headers.authorization ?? '')?.[1];
}

/** Request bodies: the driver gzips them (Content-Encoding: gzip), or sends plain JSON when compression lost a race. */
async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  let buf = Buffer.concat(parts);
  if (buf.length === 0) return {};
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = zlib.gunzipSync(buf);
  return JSON.parse(buf.toString('utf8')) as unknown;
}

/**
 * Checks a key-pair login's JWT as Snowflake does: RS256 signature by the key whose SHA-256 fingerprint the
 * issuer names, subject ACCOUNT.USER, not expired. Returns the user, or null.
 */
function verifyJwt(jwt: string, account: string, users: Record<string, SfUser>): string | null {
  const [h, p, s] = jwt.split('.');
  if (!h || !p || !s) return null;
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string };
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as { iss?: string; sub?: string; exp?: number };
  if (header.alg !== 'RS256') return null;
  const [subAccount, subUser] = (payload.sub ?? '').split('.');
  if (subAccount !== account || !subUser) return null;
  const user = Object.entries(users).find(([name]) => name.toUpperCase() === subUser)?.[1];
  if (!user?.publicKeyPem) return null;
  const key = crypto.createPublicKey(user.publicKeyPem);
  const fingerprint = `SHA256:${crypto.createHash('sha256').update(key.export({ format: 'der', type: 'spki' })).digest('base64')}`;
  if (payload.iss !== `${account}.${subUser}.${fingerprint}`) return null;
  // The driver writes iat/exp in milliseconds.
  if (!payload.exp || payload.exp < Date.now()) return null;
  if (!crypto.verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) return null;
  return subUser;
}
