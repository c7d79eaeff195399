/** The api:// source against a local JSON API: paging, retries, failures, secrets, and a whole run over it. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { DataError } from '../../src/cli/errors.js';
import { parseProfile } from '../../src/io/profile/profile.js';
import { exactNumbers, httpSourceWith } from '../../src/io/sources/http.js';
import type { SourceContext } from '../../src/io/sources/source.js';
import { ROOT, tempDir, write } from '../helpers/cli.js';
import { startApi, type Answer, type TestApi } from '../helpers/http-server.js';

const FAST = { baseMs: 1, maxMs: 5 };
const rec = (i: number) => ({ id: `e${i}`, account: `a${i % 3}`, ts: '2026-10-01 00:00:00', qty: (i % 7) + 1 });
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => rec(from + i));

let api: TestApi | null = null;
afterEach(async () => {
  await api?.close();
  api = null;
});

async function serve(answer: (url: URL, n: number) => Answer): Promise<TestApi> {
  api = await startApi(answer);
  return api;
}

async function read(settings: Record<string, unknown>, ctx: Partial<SourceContext> = {}) {
  const profile = parseProfile(JSON.stringify({ connections: { usage: { type: 'http', ...settings } } }), 'tally.yaml');
  const { files } = await httpSourceWith(FAST).fetch('api://usage', { tempDir: tempDir(), profile, declared: 'auto', ...ctx });
  const file = files[0]!;
  const lines = fs.readFileSync(file.path, 'utf8').split('\n').filter(Boolean);
  return { file, lines, records: lines.map((l) => JSON.parse(l) as unknown) };
}

async function failure(settings: Record<string, unknown>, ctx: Partial<SourceContext> = {}): Promise<DataError> {
  const e = await read(settings, ctx).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DataError);
  return e as DataError;
}

/** Cursor paging over `total` records: the cursor is the next offset, null after the last page. */
const cursorApi = (total: number, size: number) => (url: URL) => {
  const from = Number(url.searchParams.get('cursor') ?? 0);
  const to = Math.min(total, from + size);
  return { body: { data: range(from, to), next_cursor: to < total ? String(to) : null } };
};

describe('paging', () => {
  it('follows a cursor over several pages, one record per line, and counts them', async () => {
    const s = await serve(cursorApi(2500, 1000));
    const { file, lines, records } = await read({ url: `${s.url}/v1/usage`, records: '$.data', paging: { cursor: '$.next_cursor', param: 'cursor' } });
    expect(records).toEqual(range(0, 2500));
    expect(lines).toHaveLength(2500);
    expect(s.requests.map((r) => r.url.searchParams.get('cursor'))).toEqual([null, '1000', '2000']);
    expect(file).toMatchObject({ name: 'api://usage', format: 'jsonl', compression: 'none', origin: { uri: `${s.url}/v1/usage`, records: 2500 } });
    expect(path.basename(file.path)).toBe('api-usage.jsonl');
  });

  it('counts page numbers from start, sends the size, and stops at an empty page (not a short one)', async () => {
    const s = await serve((url) => {
      const page = Number(url.searchParams.get('page'));
      const size = Number(url.searchParams.get('per_page'));
      // the API caps the size at 400 whatever is asked: a short page is not the end
      const from = page * 400;
      return { body: { items: range(from, Math.min(1000, from + Math.min(size, 400))) } };
    });
    const { records } = await read({ url: `${s.url}/items`, records: '$.items', paging: { page_param: 'page', start: 0, size_param: 'per_page', size: 500 } });
    expect(records).toEqual(range(0, 1000));
    expect(s.requests.map((r) => [r.url.searchParams.get('page'), r.url.searchParams.get('per_page')])).toEqual([
      ['0', '500'],
      ['1', '500'],
      ['2', '500'],
      ['3', '500'],
    ]);
  });

  it('follows next URLs (relative ones too), adding the fixed query parameters they leave out', async () => {
    const s = await serve((url) => {
      const n = Number(url.searchParams.get('p') ?? 1);
      const next = n === 1 ? '/usage?p=2' : '/usage?p=3';
      return { body: { results: range((n - 1) * 10, n * 10), links: { next: n === 3 ? null : next } } };
    });
    const { records } = await read({ url: `${s.url}/usage`, query: { region: 'eu' }, records: '$.results', paging: { next_url: '$.links.next' } });
    expect(records).toEqual(range(0, 30));
    expect(s.requests.map((r) => r.url.search)).toEqual(['?region=eu', '?p=2&region=eu', '?p=3&region=eu']);
  });

  it('reads a single page when there is no paging, the page itself being the array by default', async () => {
    const s = await serve(() => ({ body: range(0, 5) }));
    const { records } = await read({ url: `${s.url}/all` });
    expect(records).toEqual(range(0, 5));
    expect(s.requests).toHaveLength(1);
  });

  it('passes --since and --until in the configured parameters, on every page', async () => {
    const s = await serve(cursorApi(20, 10));
    await read(
      { url: `${s.url}/u`, records: '$.data', paging: { cursor: '$.next_cursor', param: 'cursor' }, since_param: 'from', until_param: 'to' },
      { since: '2026-10-01T00:00:00Z', until: '2026-11-01T00:00:00Z' },
    );
    expect(s.requests).toHaveLength(2);
    for (const r of s.requests) expect([r.url.searchParams.get('from'), r.url.searchParams.get('to')]).toEqual(['2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z']);
  });

  it('fails on a cursor that comes back (a loop), naming the page', async () => {
    const s = await serve((url) => ({ body: { data: range(0, 2), next: url.searchParams.get('c') === 'B' ? 'A' : url.searchParams.get('c') === 'A' ? 'B' : 'A' } }));
    const e = await failure({ url: `${s.url}/u`, records: '$.data', paging: { cursor: '$.next', param: 'c' } });
    expect(e.message).toMatch(/page 3 .*loop/);
    expect(s.requests).toHaveLength(3);
  });

  it('refuses a next URL on another host (the credentials would follow it)', async () => {
    const s = await serve(() => ({ body: { data: range(0, 1), next: 'http://example.invalid/steal' } }));
    const e = await failure({ url: `${s.url}/u`, records: '$.data', paging: { next_url: '$.next' } });
    expect(e.message).toMatch(/another host \(http:\/\/example\.invalid\)/);
  });

  it('fails past max_pages instead of silently stopping', async () => {
    const s = await serve(cursorApi(100, 10));
    const e = await failure({ url: `${s.url}/u`, records: '$.data', paging: { cursor: '$.next_cursor', param: 'cursor' }, max_pages: 3 });
    expect(e.message).toMatch(/more than 3 pages/);
  });
});

describe('retries', () => {
  it('retries a 500 and then succeeds, counting the attempts', async () => {
    const s = await serve((_url, n) => (n <= 2 ? { status: 500, body: 'oops' } : { body: { data: range(0, 3) } }));
    const { records } = await read({ url: `${s.url}/u`, records: '$.data' });
    expect(records).toEqual(range(0, 3));
    expect(s.requests).toHaveLength(3);
  });

  it('waits as long as a 503 says in Retry-After', async () => {
    const s = await serve((_url, n) => (n === 1 ? { status: 503, headers: { 'retry-after': '1' }, body: 'busy' } : { body: { data: range(0, 1) } }));
    const t0 = Date.now();
    await read({ url: `${s.url}/u`, records: '$.data' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(s.requests).toHaveLength(2);
  });

  it('gives up after the configured retries, naming the page and the last status', async () => {
    const s = await serve(() => ({ status: 429, body: 'slow down' }));
    const e = await failure({ url: `${s.url}/u`, records: '$.data', retries: 2 });
    expect(e.message).toBe(`api://usage: page 1 (${s.url}/u) failed after 3 attempts: 429 Too Many Requests`);
    expect(s.requests).toHaveLength(3);
  });

  it('retries a refused connection like any network error', async () => {
    const s = await serve(() => ({ body: [] }));
    const url = `${s.url}/u`;
    await s.close();
    api = null;
    const e = await failure({ url, retries: 1 });
    expect(e.message).toMatch(/failed after 2 attempts: ECONNREFUSED/);
  });
});

describe('failures and secrets', () => {
  const TOKEN = 'Bearer s3cr3t-t0ken-value';
  const KEY = 'k3y-in-the-query';

  it('reports a 401 at once, naming the environment variable and never the secret', async () => {
    process.env.TALLY_TEST_API_AUTH = TOKEN;
    const s = await serve(() => ({ status: 401, body: `bad token ${TOKEN}` }));
    const e = await failure({ url: `${s.url}/u`, headers: { Authorization: { env: 'TALLY_TEST_API_AUTH' } } });
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]!.headers.authorization).toBe(TOKEN);
    expect(e.message).toBe('api://usage answered 401 Unauthorized: check the credentials in the headers of connection usage (from environment variable TALLY_TEST_API_AUTH)');
    expect(`${e.message} ${e.hint}`).not.toContain('s3cr3t');
  });

  it('fails on a page that is not JSON, naming the page and the URL without the secret query value', async () => {
    process.env.TALLY_TEST_API_KEY = KEY;
    const s = await serve((url) => (url.searchParams.get('cursor') ? { body: '<html>maintenance</html>' } : { body: { data: range(0, 2), next: 'x1' } }));
    const e = await failure({ url: `${s.url}/u`, query: { api_key: { env: 'TALLY_TEST_API_KEY' } }, records: '$.data', paging: { cursor: '$.next', param: 'cursor' } });
    expect(s.requests[1]!.url.searchParams.get('api_key')).toBe(KEY);
    expect(e.message).toMatch(new RegExp(`^api://usage: page 2 \\(${s.url}/u\\?api_key=\\*\\*\\*&cursor=x1\\) is not JSON \\(text/html\\)`));
    expect(e.message).not.toContain(KEY);
  });

  it('keeps query secrets out of the manifest origin', async () => {
    process.env.TALLY_TEST_API_KEY = KEY;
    const s = await serve(() => ({ body: [] }));
    const { file } = await read({ url: `${s.url}/u?api_key=${KEY}&v=2`, query: { token: { env: 'TALLY_TEST_API_KEY' } } });
    expect(file.origin!.uri).toBe(`${s.url}/u?api_key=***&v=2`);
  });

  it('fails when records is not an array, or matches nothing', async () => {
    let s = await serve(() => ({ body: { data: { id: 1 } } }));
    expect((await failure({ url: `${s.url}/u`, records: '$.data' })).message).toBe(`api://usage: page 1 (${s.url}/u): $.data is an object, not an array of records`);
    await s.close();
    s = await serve(() => ({ body: { items: [] } }));
    expect((await failure({ url: `${s.url}/u`, records: '$.data' })).message).toMatch(/page 1 .* has nothing at \$\.data/);
  });

  it('fails on a 404 at once, with the start of the answer', async () => {
    const s = await serve(() => ({ status: 404, body: 'no such endpoint' }));
    const e = await failure({ url: `${s.url}/nope` });
    expect(e.message).toBe(`api://usage answered 404 Not Found for page 1 (${s.url}/nope): no such endpoint`);
    expect(s.requests).toHaveLength(1);
  });
});

describe('records as written', () => {
  it('writes a record that is not an object as its JSON text (mediation rejects it as malformed_json)', async () => {
    const s = await serve(() => ({ body: [rec(1), 'text', 7, null, [1]] }));
    const { lines } = await read({ url: `${s.url}/u` });
    expect(lines).toEqual([JSON.stringify(rec(1)), '"text"', '7', 'null', '[1]']);
  });

  it('keeps every digit of numbers a double cannot hold', async () => {
    const s = await serve(() => ({ body: '[{"id": 12345678901234567890, "qty": 0.12345678901234567, "n": 42, "s": "12345678901234567890"}]' }));
    const { lines } = await read({ url: `${s.url}/u` });
    expect(lines).toEqual(['{"id":"12345678901234567890","qty":"0.12345678901234567","n":42,"s":"12345678901234567890"}']);
    expect(exactNumbers('{"a":"x\\"1234567890123456789"}')).toBe('{"a":"x\\"1234567890123456789"}');
  });
});

describe('tally run over api://', () => {
  const RULESET = `version: 1
name: t
input:
  fields:
    id: { type: string }
    account: { type: string }
    ts: { type: timestamp, format: "%Y-%m-%d %H:%M:%S" }
    qty: { type: "decimal(18,3)" }
  event_id: id
  event_time: ts
billing:
  account: account
meters:
  m: { aggregation: sum, value: qty }
prices:
  - { charge: c, meter: m, model: unit, unit_price: "0.25" }
`;
  const run = promisify(execFile);
  const tally = (args: string[], cwd: string) => run(process.execPath, [path.join(ROOT, 'bin/tally.js'), ...args], { cwd, env: { ...process.env, TALLY_TEST_API_AUTH: 'Bearer e2e' } });

  it('charges the same as the same records in a local .jsonl file', async () => {
    const s = await serve((url) => {
      if (url.searchParams.get('token') !== null) return { status: 400, body: 'unexpected' };
      return cursorApi(95, 20)(url);
    });
    const dir = tempDir();
    const ruleset = write(dir, 'r.yaml', RULESET);
    write(
      dir,
      'tally.yaml',
      `connections:
  usage:
    type: http
    url: ${s.url}/v1/usage
    records: $.data
    headers: { Authorization: { env: TALLY_TEST_API_AUTH } }
    paging: { cursor: $.next_cursor, param: cursor }
`,
    );
    const local = write(dir, 'usage.jsonl', range(0, 95).map((r) => JSON.stringify(r)).join('\n') + '\n');
    await tally(['run', ruleset, 'api://usage', '--profile', 'tally.yaml', '--out', 'api', '--no-state', '-q'], dir);
    await tally(['run', ruleset, local, '--out', 'local', '--no-state', '-q'], dir);
    const charges = (d: string) => fs.readFileSync(path.join(dir, d, 'charges.csv'), 'utf8');
    expect(charges('api')).toBe(charges('local'));
    expect(charges('api').trim().split('\n')).toHaveLength(4); // header + 3 accounts
    expect(s.requests).toHaveLength(5);
    expect(s.requests.every((r) => r.headers.authorization === 'Bearer e2e')).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'api', 'manifest.json'), 'utf8')).not.toContain('Bearer e2e');
  });
});
