/**
 * `api://CONNECTION`: a paged JSON API, read page by page into one JSONL spool file (one record per line), so
 * mediation reads it like any local .jsonl file. Settings of a `type: http` connection:
 *
 *   url          required; the first page's address (may carry fixed query parameters of its own)
 *   method       GET (default) or POST; parameters always travel in the query string
 *   headers      mapping; values may be secrets ({ env: NAME } / { file: PATH }), e.g. Authorization
 *   query        mapping of fixed query parameters sent with every page; values may be secrets (an api_key)
 *   records      JSONPath to the array of records in each page (default `$`: the page is the array)
 *   paging       one of
 *                  { cursor: $.next_cursor, param: cursor }       next cursor in the page, sent back in `param`
 *                  { page_param: page, start: 1, size_param: per_page, size: 500 }   page numbers (size optional)
 *                  { next_url: $.links.next }                    a full (or relative) URL of the next page
 *                absent: a single page
 *   max_pages    safety limit (default 100000); reaching it fails the run rather than silently dropping data
 *   timeout_ms   per request, including the body (default 60000)
 *   retries      retries of one page after a 429, a 5xx, a timeout or a network error (default 5)
 *   since_param / until_param   query parameters that carry --since / --until (ISO-8601 instants, as given); without
 *                them the API is read whole and the window is not applied at the source
 *
 * Decisions:
 * - Paging stops when a page is empty, or when the cursor / next URL is null, absent or empty. Page-number paging
 *   stops only at an empty page: a short page is not proof of the end, since APIs cap the size they are asked for.
 * - A cursor or next URL seen before is a loop and fails the run; so does a next URL on another origin (the
 *   credentials in the headers would go to a host nobody configured).
 * - A records path that matches nothing fails (a mistyped path must not read as "no usage"); `null` there is an
 *   empty page. A record that is not a JSON object is written as its JSON text anyway: mediation rejects that
 *   line as malformed_json, like a bad line of a local file, and line numbers stay the records' positions.
 * - Numbers with more than 15 significant digits are written as JSON strings with their exact digits: JSON.parse
 *   would round them to a double (ids and amounts changing silently). Mediation reads fields as text either way.
 * - 401/403 and other 4xx fail at once; 429/5xx wait for Retry-After when given (up to 2 minutes), else back
 *   off exponentially with jitter. Secret values never appear in messages or the manifest: URLs are shown with
 *   secret query values as ***, and any message text is scrubbed of every secret value.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import { STATUS_CODES } from 'node:http';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { JSONPath } from 'jsonpath-plus';
import pRetry, { AbortError } from 'p-retry';
import { DataError, UsageError } from '../../cli/errors.js';
import { mapSetting, textSetting, type Connection } from '../profile/profile.js';
import type { Source, SourceContext } from './source.js';

export interface RetryTiming {
  /** First back-off; doubled (factor) per retry up to maxMs, with jitter. */
  baseMs: number;
  factor: number;
  maxMs: number;
  /** Longest Retry-After honoured; a longer one is cut to this. */
  retryAfterMaxMs: number;
}

const PRODUCTION: RetryTiming = { baseMs: 500, factor: 2, maxMs: 30_000, retryAfterMaxMs: 120_000 };

type Paging =
  | { kind: 'none' }
  | { kind: 'cursor'; cursor: string; param: string }
  | { kind: 'page'; pageParam: string; start: number; sizeParam?: string; size?: number }
  | { kind: 'next_url'; nextUrl: string };

interface Api {
  label: string;
  conn: Connection;
  url: URL;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  query: Record<string, string>;
  records: string;
  paging: Paging;
  maxPages: number;
  timeoutMs: number;
  retries: number;
  sinceParam: string | undefined;
  untilParam: string | undefined;
  secrets: Secrets;
}

/** The http source with its back-off timing (tests shorten it). */
export function httpSourceWith(timing: Partial<RetryTiming> = {}): Source {
  const t = { ...PRODUCTION, ...timing };
  return { fetch: (arg, ctx) => fetchApi(arg, ctx, t) };
}

export const httpSource: Source = httpSourceWith();

async function fetchApi(arg: string, ctx: SourceContext, timing: RetryTiming) {
  const m = /^api:\/\/([^/?#]+)\/?$/i.exec(arg);
  if (!m) throw new UsageError(`${arg}: an API source is named api://CONNECTION`, 'declare the API under connections: in tally.yaml with type: http');
  const api = readSettings(ctx.profile.connection(m[1]!, 'http'), arg);

  const file = spoolPath(ctx.tempDir, api.conn.name);
  const out = fs.createWriteStream(file);
  let writeError: Error | undefined;
  out.on('error', (e) => (writeError = e)); // thrown at the next page, or by `once(out, 'drain')` / `finished(out)`
  let records = 0;
  try {
    for await (const page of pages(api, ctx, timing)) {
      if (writeError) throw writeError;
      if (page.length === 0) continue;
      records += page.length;
      // One write per page: the page is in memory already; waiting for drain keeps at most one page queued.
      if (!out.write(page.map((r) => JSON.stringify(r)).join('\n') + '\n')) await once(out, 'drain');
    }
    out.end();
    await finished(out);
  } catch (e) {
    out.destroy();
    if (e instanceof DataError || e instanceof UsageError) throw e;
    throw new DataError(`${api.label}: cannot write the spool file: ${api.secrets.scrub((e as Error).message)}`, 'check the free space of the temporary folder');
  }
  return {
    files: [{ name: api.label, path: file, format: 'jsonl' as const, compression: 'none' as const, origin: { uri: api.secrets.showUrl(api.url), records } }],
  };
}

/** Yields each page's records, requesting the next page only once the previous one is written. */
async function* pages(api: Api, ctx: SourceContext, timing: RetryTiming): AsyncGenerator<unknown[]> {
  const { paging } = api;
  const seen = new Set<string>();
  let cursor: string | null = null;
  let url: URL = api.url;
  for (let page = 1; ; page++) {
    if (page > api.maxPages) {
      throw new DataError(`${api.label}: more than ${api.maxPages} pages`, `if the API really has that many, raise max_pages of connection ${api.conn.name}`);
    }
    const params: Record<string, string> = { ...api.query };
    if (ctx.since && api.sinceParam) params[api.sinceParam] = ctx.since;
    if (ctx.until && api.untilParam) params[api.untilParam] = ctx.until;
    if (paging.kind === 'cursor' && cursor !== null) params[paging.param] = cursor;
    if (paging.kind === 'page') {
      params[paging.pageParam] = String(paging.start + page - 1);
      if (paging.sizeParam && paging.size !== undefined) params[paging.sizeParam] = String(paging.size);
    }
    const target = new URL(url);
    for (const [k, v] of Object.entries(params)) {
      // A next URL carries its own parameters; only those it lacks (an api key it omits) are added.
      if (paging.kind === 'next_url' && page > 1 && target.searchParams.has(k)) continue;
      target.searchParams.set(k, v);
    }

    const body = await getPage(api, target, page, timing);
    const records = pick(api, body, api.records, 'records', page, target);
    if (records === undefined) {
      throw new DataError(`${api.label}: page ${page} (${api.secrets.showUrl(target)}) has nothing at ${api.records}`, `check records of connection ${api.conn.name}: the JSONPath of the array of records in each page`);
    }
    if (records !== null && !Array.isArray(records)) {
      throw new DataError(`${api.label}: page ${page} (${api.secrets.showUrl(target)}): ${api.records} is ${typeName(records)}, not an array of records`, `check records of connection ${api.conn.name}`);
    }
    const list = records ?? [];
    yield list;
    if (list.length === 0 || paging.kind === 'none') return;

    if (paging.kind === 'page') continue;
    const pathOf = paging.kind === 'cursor' ? paging.cursor : paging.nextUrl;
    const next = pick(api, body, pathOf, 'paging', page, target);
    if (next === undefined || next === null || next === '' || next === false) return;
    if (typeof next !== 'string' && typeof next !== 'number') {
      throw new DataError(`${api.label}: page ${page} (${api.secrets.showUrl(target)}): ${pathOf} is ${typeName(next)}, not a cursor`, `check paging of connection ${api.conn.name}`);
    }
    const value = String(next);
    if (seen.has(value)) {
      throw new DataError(`${api.label}: page ${page} (${api.secrets.showUrl(target)}) returned a ${paging.kind === 'cursor' ? 'cursor' : 'next URL'} already followed: the API is paging in a loop`, 'check paging of the connection, or report it to the API provider');
    }
    seen.add(value);
    if (paging.kind === 'cursor') cursor = value;
    else {
      let nextUrl: URL;
      try {
        nextUrl = new URL(value, target);
      } catch {
        throw new DataError(`${api.label}: page ${page}: ${pathOf} is not a URL`, `check paging of connection ${api.conn.name}`);
      }
      if (nextUrl.origin !== api.url.origin) {
        throw new DataError(`${api.label}: page ${page} points the next page to another host (${nextUrl.origin}); refused, as the connection's headers would be sent there`, `give url of connection ${api.conn.name} on the host that serves every page`);
      }
      url = nextUrl;
    }
  }
}

/** A failure worth another attempt (429, 5xx, timeout, network), with the wait the server asked for. */
class Retryable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** One page's JSON, retried as the settings say; fails with a DataError naming the page and URL. */
async function getPage(api: Api, url: URL, page: number, timing: RetryTiming): Promise<unknown> {
  const shown = api.secrets.showUrl(url);
  let attempts = 0;
  try {
    return await pRetry(
      async () => {
        attempts++;
        let res: Response;
        let text: string;
        try {
          res = await fetch(url, { method: api.method, headers: api.headers, signal: AbortSignal.timeout(api.timeoutMs) });
          text = await res.text();
        } catch (e) {
          throw new Retryable(networkReason(e, api.timeoutMs));
        }
        const status = `${res.status} ${res.statusText || STATUS_CODES[res.status] || ''}`.trim();
        if (res.status === 429 || res.status >= 500) throw new Retryable(status, retryAfter(res.headers.get('retry-after')));
        if (res.status === 401 || res.status === 403) throw new AbortError(unauthorized(api, status));
        if (!res.ok) {
          const snippet = api.secrets.scrub(text.replace(/\s+/g, ' ').trim().slice(0, 200));
          throw new AbortError(new DataError(`${api.label} answered ${status} for page ${page} (${shown})${snippet ? `: ${snippet}` : ''}`, `check url, query and paging of connection ${api.conn.name}`));
        }
        try {
          return JSON.parse(exactNumbers(text)) as unknown;
        } catch (e) {
          const type = res.headers.get('content-type') ?? 'no content type';
          throw new AbortError(new DataError(`${api.label}: page ${page} (${shown}) is not JSON (${type}): ${(e as Error).message.slice(0, 120)}`, `check url of connection ${api.conn.name}: it must answer JSON`));
        }
      },
      {
        retries: api.retries,
        // The waits are ours (below), so a Retry-After replaces the back-off instead of adding to it.
        factor: 1,
        minTimeout: 0,
        maxTimeout: 0,
        onFailedAttempt: async (e) => {
          if (e.retriesLeft <= 0 || !(e instanceof Retryable)) return;
          const backoff = Math.min(timing.maxMs, timing.baseMs * timing.factor ** (e.attemptNumber - 1));
          const after = (e as Error as Retryable).retryAfterMs;
          const wait = after !== undefined ? Math.min(after, timing.retryAfterMaxMs) : backoff * (0.5 + Math.random() / 2);
          await new Promise((r) => setTimeout(r, wait));
        },
      },
    );
  } catch (e) {
    if (e instanceof DataError) throw e;
    const reason = api.secrets.scrub((e as Error).message);
    throw new DataError(`${api.label}: page ${page} (${shown}) failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason}`, `the API is unavailable or limiting requests; try again later, or raise retries / timeout_ms of connection ${api.conn.name}`);
  }
}

function unauthorized(api: Api, status: string): DataError {
  const from = api.secrets.headerSources();
  return new DataError(
    `${api.label} answered ${status}: check the credentials in the headers of connection ${api.conn.name}${from.length ? ` (from ${from.join(', ')})` : ' (it sends none)'}`,
    from.length ? 'the credentials may be wrong, expired or lack access to this endpoint' : `add an Authorization header (a secret: { env: NAME }) under headers of connection ${api.conn.name}`,
  );
}

/** Seconds or an HTTP date, as milliseconds; undefined when absent or unreadable. */
function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function networkReason(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
}

/** The single value a JSONPath selects: undefined when it selects nothing; several matches are an error. */
function pick(api: Api, json: unknown, jsonPath: string, setting: string, page: number, url: URL): unknown {
  let found: unknown[];
  try {
    found = JSONPath({ path: jsonPath, json: json as object, wrap: true }) as unknown[];
  } catch (e) {
    throw new DataError(`${api.label}: ${setting} path ${jsonPath} cannot be evaluated: ${(e as Error).message}`, `check ${setting} of connection ${api.conn.name}`);
  }
  if (found.length > 1) {
    throw new DataError(`${api.label}: page ${page} (${api.secrets.showUrl(url)}): ${jsonPath} selects ${found.length} values, not one`, `give ${setting} of connection ${api.conn.name} as the path of a single value (the array itself, e.g. $.data)`);
  }
  return found[0];
}

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

const NUMBER = /-?(\d+)(?:\.(\d+))?(?:[eE][+-]?\d+)?/y;

/** The JSON text with numbers a double cannot hold exactly (over 15 digits) turned into strings of their digits. */
export function exactNumbers(text: string): string {
  if (!/\d[\d.]{15}/.test(text)) return text; // the usual page: nothing long enough to lose digits
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip a string, escapes included
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i += text.charCodeAt(i) === 0x5c ? 2 : 1);
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) {
        i++;
        continue;
      }
      if ((m[1]!.replace(/^0+/, '') + (m[2] ?? '')).length > 15) {
        out += `${text.slice(last, i)}"${m[0]}"`;
        last = i + m[0].length;
      }
      i += m[0].length;
    } else i++;
  }
  return out + text.slice(last);
}

function spoolPath(dir: string, name: string): string {
  const base = `api-${name.replace(/[^\w.-]/g, '_')}`;
  let p = path.join(dir, `${base}.jsonl`);
  for (let n = 2; fs.existsSync(p); n++) p = path.join(dir, `${base}-${n}.jsonl`);
  return p;
}

/** The values that came from secrets (to scrub from any text) and where they came from (to name in hints). */
class Secrets {
  private readonly values: string[] = [];
  private readonly queryKeys = new Set<string>();
  private readonly headerFrom: string[] = [];

  constructor(conn: Connection, headers: Record<string, string>, query: Record<string, string>) {
    const refs = (key: string) => (conn.settings[key] ?? {}) as Record<string, unknown>;
    for (const [group, resolved] of [['headers', headers], ['query', query]] as const) {
      for (const [k, ref] of Object.entries(refs(group))) {
        const src = ref as { env?: unknown; file?: unknown } | null;
        if (src === null || typeof src !== 'object' || resolved[k] === undefined) continue;
        if (resolved[k] !== '') this.values.push(resolved[k]);
        if (group === 'query') this.queryKeys.add(k);
        else this.headerFrom.push(typeof src.env === 'string' ? `environment variable ${src.env}` : `file ${String(src.file)}`);
      }
    }
    const url = conn.settings.url;
    if (url !== null && typeof url === 'object') this.values.push(textSetting(conn, 'url')!);
    this.values.sort((a, b) => b.length - a.length); // longest first, so a secret containing another goes whole
  }

  headerSources(): string[] {
    return this.headerFrom;
  }

  scrub(text: string): string {
    return this.values.reduce((t, v) => t.split(v).join('***'), text);
  }

  /** A URL fit to show: no user info, secret query values as ***. */
  showUrl(url: URL): string {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    for (const k of [...u.searchParams.keys()]) if (this.queryKeys.has(k) || this.values.includes(u.searchParams.get(k)!)) u.searchParams.set(k, '***');
    return this.scrub(u.toString());
  }
}

function readSettings(conn: Connection, label: string): Api {
  const bad = (setting: string, why: string, hint?: string) => new DataError(`connection "${conn.name}": ${setting} ${why}`, hint);
  const known = new Set(['url', 'method', 'headers', 'query', 'records', 'paging', 'max_pages', 'timeout_ms', 'retries', 'since_param', 'until_param']);
  const unknown = Object.keys(conn.settings).filter((k) => !known.has(k));
  if (unknown.length) throw bad(`has unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, '', `http settings: ${[...known].join(', ')}`);

  const urlText = textSetting(conn, 'url');
  if (!urlText) throw bad('has no url', '', 'give url: the address of the first page');
  const given = mapSetting(conn, 'headers');
  const headers = { accept: 'application/json', 'user-agent': 'tally', ...lowerKeys(given) };
  const query = mapSetting(conn, 'query');
  const secrets = new Secrets(conn, given, query);
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw bad('url is not a URL', '');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('url', `must be http:// or https://, not ${url.protocol}`);

  const method = (textSetting(conn, 'method') ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'POST') throw bad('method', `is ${method}; GET or POST`);
  const int = (key: string, dflt: number, min: number) => {
    const v = textSetting(conn, key);
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v) || Number(v) < min) throw bad(key, `must be a whole number of at least ${min}`);
    return Number(v);
  };
  return {
    label,
    conn,
    url,
    method,
    headers,
    query,
    records: textSetting(conn, 'records') ?? '$',
    paging: readPaging(conn),
    maxPages: int('max_pages', 100_000, 1),
    timeoutMs: int('timeout_ms', 60_000, 1),
    retries: int('retries', 5, 0),
    sinceParam: textSetting(conn, 'since_param'),
    untilParam: textSetting(conn, 'until_param'),
    secrets,
  };
}

function readPaging(conn: Connection): Paging {
  const p = mapSetting(conn, 'paging');
  const keys = Object.keys(p);
  const hint = 'paging is { cursor: $.next, param: cursor }, { page_param: page, start: 1, size_param: per_page, size: 500 } or { next_url: $.links.next }';
  const only = (allowed: string[]) => {
    const extra = keys.filter((k) => !allowed.includes(k));
    if (extra.length) throw new DataError(`connection "${conn.name}": paging has ${extra.join(', ')}, which do not go with ${allowed[0]}`, hint);
  };
  if (keys.length === 0) return { kind: 'none' };
  if ('cursor' in p) {
    only(['cursor', 'param']);
    if (!p.param) throw new DataError(`connection "${conn.name}": cursor paging needs param (the query parameter the cursor is sent in)`, hint);
    return { kind: 'cursor', cursor: p.cursor!, param: p.param };
  }
  if ('page_param' in p) {
    only(['page_param', 'start', 'size_param', 'size']);
    const num = (k: string, d: number | undefined) => {
      if (p[k] === undefined) return d;
      if (!/^\d+$/.test(p[k]!)) throw new DataError(`connection "${conn.name}": paging ${k} must be a whole number`, hint);
      return Number(p[k]);
    };
    const size = num('size', undefined);
    return { kind: 'page', pageParam: p.page_param!, start: num('start', 1)!, ...(p.size_param ? { sizeParam: p.size_param } : {}), ...(size !== undefined ? { size } : {}) };
  }
  if ('next_url' in p) {
    only(['next_url']);
    return { kind: 'next_url', nextUrl: p.next_url! };
  }
  throw new DataError(`connection "${conn.name}": paging has ${keys.join(', ')}`, hint);
}

/** Header names are case-insensitive; lower case lets a user's Accept replace the default. */
function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
