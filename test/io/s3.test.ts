/** The S3 source and sink against a real S3-compatible server (s3rver) on loopback. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/cli/errors.js';
import { parseProfile, Profile } from '../../src/io/profile/profile.js';
import { uploadOutputDir } from '../../src/io/sinks/s3.js';
import { globToRegExp, s3Source } from '../../src/io/sources/s3.js';
import type { SourceContext } from '../../src/io/sources/source.js';
import { ROOT, tempDir } from '../helpers/cli.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

let s3: S3rverHandle;
let client: S3Client;
let work: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  s3 = await startS3rver(['data', 'out']);
  client = s3.client();
  work = tempDir();
  // With no keys in the profile the source uses the SDK's standard chain: give it s3rver's keys by environment.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
});

afterAll(async () => {
  process.env = savedEnv;
  await s3?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const put = (bucket: string, key: string, body: string | Buffer) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

/** A fresh spool folder and the --s3-endpoint context. */
function ctx(extra: Partial<SourceContext> = {}): SourceContext {
  return { tempDir: fs.mkdtempSync(path.join(work, 'spool-')), profile: Profile.empty(), declared: 'auto', s3Endpoint: s3.endpoint, ...extra };
}

async function fetchError(arg: string, c: SourceContext = ctx()): Promise<DataError> {
  const e = await s3Source.fetch(arg, c).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DataError);
  return e as DataError;
}

/** Records each command the client sends (name and key), and can fail chosen ones — faults injected into a real client. */
function spy(c: S3Client, failWhen?: (command: string, key: string) => boolean): string[] {
  const log: string[] = [];
  c.middlewareStack.add(
    (next, context) => async (args) => {
      const key = String((args.input as { Key?: string }).Key ?? '');
      log.push(`${context.commandName} ${key}`);
      if (failWhen?.(String(context.commandName), key)) throw Object.assign(new Error('injected'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
      return next(args);
    },
    { step: 'initialize' },
  );
  return log;
}

describe('glob', () => {
  it('* and ? stay within a segment, ** crosses them', () => {
    expect(globToRegExp('u/*.csv').test('u/a.csv')).toBe(true);
    expect(globToRegExp('u/*.csv').test('u/x/a.csv')).toBe(false);
    expect(globToRegExp('u/**/*.csv').test('u/a.csv')).toBe(true);
    expect(globToRegExp('u/**/*.csv').test('u/x/y/a.csv')).toBe(true);
    expect(globToRegExp('u/0?.csv').test('u/01.csv')).toBe(true);
    expect(globToRegExp('u/[ab].csv').test('u/b.csv')).toBe(true);
    expect(globToRegExp('u/a+b.csv').test('u/aab.csv')).toBe(false);
  });
});

describe('s3 source', () => {
  it('lists more than one page (1,100 objects) and downloads them all, sorted', async () => {
    const keys = Array.from({ length: 1100 }, (_, i) => `many/part-${String(i).padStart(4, '0')}.csv`);
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < keys.length) {
        const k = keys[next++]!;
        await put('data', k, `id\n${k}\n`);
      }
    }));
    const { files } = await s3Source.fetch('s3://data/many/*.csv', ctx());
    expect(files.length).toBe(1100);
    expect(files.map((f) => f.name)).toEqual(keys.map((k) => `s3://data/${k}`));
    expect(fs.readFileSync(files[1099]!.path, 'utf8')).toBe('id\nmany/part-1099.csv\n');
  });

  it('a glob matches a subset; same base names in different prefixes do not collide', async () => {
    await put('data', 'usage/2026/01/day.csv', 'jan\n');
    await put('data', 'usage/2026/02/day.csv', 'feb\n');
    await put('data', 'usage/2026/02/day.jsonl', '{}\n');
    await put('data', 'usage/2026/notes.txt', 'x');
    await put('data', 'other/day.csv', 'no\n');
    const { files } = await s3Source.fetch('s3://data/usage/**/*.csv', ctx());
    expect(files.map((f) => f.name)).toEqual(['s3://data/usage/2026/01/day.csv', 's3://data/usage/2026/02/day.csv']);
    expect(files.map((f) => fs.readFileSync(f.path, 'utf8'))).toEqual(['jan\n', 'feb\n']);
    const jsonl = (await s3Source.fetch('s3://data/usage/2026/0?/*.jsonl', ctx())).files;
    expect(jsonl.map((f) => [f.name, f.format])).toEqual([['s3://data/usage/2026/02/day.jsonl', 'jsonl']]);
  });

  it('reads a gzip object back intact, with its origin', async () => {
    const text = 'id,qty\n' + Array.from({ length: 5000 }, (_, i) => `e${i},${i}`).join('\n') + '\n';
    const gz = gzipSync(text);
    await put('data', 'gz/usage.csv.gz', gz);
    const [f] = (await s3Source.fetch('s3://data/gz/usage.csv.gz', ctx())).files;
    expect(f).toMatchObject({ name: 's3://data/gz/usage.csv.gz', format: 'csv', compression: 'gzip' });
    expect(f!.path.endsWith('.csv.gz')).toBe(true);
    expect(gunzipSync(fs.readFileSync(f!.path)).toString()).toBe(text);
    expect(f!.origin).toEqual({ uri: 's3://data/gz/usage.csv.gz', etag: createHash('md5').update(gz).digest('hex'), size: gz.length });
  });

  it('a missing object, a glob matching nothing and a missing bucket fail naming the address', async () => {
    const missing = await fetchError('s3://data/nope/usage.csv');
    expect(missing.message).toContain('s3://data/nope/usage.csv');
    expect(missing.message).toContain('not found');
    const none = await fetchError('s3://data/nope/*.csv');
    expect(none.message).toBe('no object matches s3://data/nope/*.csv');
    expect(none.hint).toMatch(/pattern/);
    const bucket = await fetchError('s3://no-such-bucket/usage/*.csv');
    expect(bucket.message).toContain('s3://no-such-bucket/usage/*.csv: the bucket does not exist');
  });

  it('wrong credentials from the profile are a 403, reported without the secret', async () => {
    // s3rver checks the access key id (not V4 signatures): an unknown key is a real 403 InvalidAccessKeyId.
    process.env.TALLY_TEST_KEY = 'NOT-A-KEY';
    process.env.TALLY_TEST_SECRET = 'very-secret-value';
    const profile = parseProfile(
      `connections:\n  lake: { type: s3, bucket: data, endpoint: "${s3.endpoint}", access_key_id: { env: TALLY_TEST_KEY }, secret_access_key: { env: TALLY_TEST_SECRET } }\n`,
      'tally.yaml',
    );
    for (const arg of ['s3://data/gz/usage.csv.gz', 's3://data/gz/*.gz']) {
      const e = await fetchError(arg, ctx({ profile, s3Endpoint: undefined }));
      expect(e.message).toContain(`${arg}: access denied`);
      expect(e.hint).toMatch(/credentials/);
      expect(`${e.message} ${e.hint}`).not.toContain('very-secret-value');
    }
    // The same connection with the right keys works: settings (endpoint, keys) come from the profile.
    process.env.TALLY_TEST_KEY = 'S3RVER';
    process.env.TALLY_TEST_SECRET = 'S3RVER';
    const { files } = await s3Source.fetch('s3://data/gz/*.gz', ctx({ profile, s3Endpoint: undefined }));
    expect(files.length).toBe(1);
  });

  it('an unreachable endpoint is a clear failure', async () => {
    const e = await fetchError('s3://data/gz/usage.csv.gz', ctx({ s3Endpoint: 'http://127.0.0.1:1' }));
    expect(e.message).toContain('s3://data/gz/usage.csv.gz: cannot reach the store');
    expect(e.hint).toMatch(/endpoint/);
  });

  it('a download cut short fails the run', async () => {
    // A loopback proxy in front of s3rver that sends half of each object body, then drops the connection.
    await put('data', 'cut/usage.csv', 'id\n' + 'x'.repeat(100_000) + '\n');
    const target = new URL(s3.endpoint);
    const proxy = http.createServer((req, res) => {
      const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        if (req.method !== 'GET' || !req.url!.startsWith('/data/cut/usage.csv')) return void r.pipe(res);
        let sent = 0;
        r.on('data', (chunk: Buffer) => {
          if (sent < 50_000) res.write(chunk.subarray(0, 50_000 - sent));
          sent += chunk.length;
          if (sent >= 50_000) res.socket?.end(); // flush what was written, then close: the body ends early
        });
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const port = (proxy.address() as { port: number }).port;
      const e = await fetchError('s3://data/cut/usage.csv', ctx({ s3Endpoint: `http://127.0.0.1:${port}` }));
      expect(e.message).toMatch(/^s3:\/\/data\/cut\/usage\.csv: the download was cut short after \d+ of 100004 bytes/);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });
});

describe('s3 sink', () => {
  it('uploads a large file multipart and it reads back intact', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'big-'));
    const big = Buffer.alloc(12 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.write(`line ${i}\n`, i);
    fs.writeFileSync(path.join(dir, 'charges.csv'), big);
    const c = s3.client();
    const log = spy(c);
    const done = await uploadOutputDir(dir, 's3://out/big/', { client: c, partSize: 5 * 1024 * 1024 });
    expect(done).toEqual(['s3://out/big/charges.csv']);
    expect(log.filter((l) => l.startsWith('UploadPartCommand')).length).toBe(3); // 5 + 5 + 2 MB
    expect(log.some((l) => l.startsWith('CompleteMultipartUploadCommand'))).toBe(true);
    const [f] = (await s3Source.fetch('s3://out/big/charges.csv', ctx())).files;
    expect(createHash('sha256').update(fs.readFileSync(f!.path)).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it('writes each file under a temporary key, then its final key, manifest last; leaves no temporary key', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'set-'));
    for (const [n, t] of [['charges.csv', 'c\n'], ['manifest.json', '{"new":true}'], ['rejects.csv', 'r\n']]) fs.writeFileSync(path.join(dir, n!), t!);
    fs.mkdirSync(path.join(dir, '.tally-tmp-x')); // a staging folder is not an output
    await put('out', 'run/manifest.json', '{"old":true}');
    const c = s3.client();
    const log = spy(c);
    const done = await uploadOutputDir(dir, 's3://out/run', { client: c });
    expect(done).toEqual(['s3://out/run/charges.csv', 's3://out/run/rejects.csv', 's3://out/run/manifest.json']);
    const copies = log.filter((l) => l.startsWith('CopyObjectCommand')).map((l) => l.split(' ')[1]);
    expect(copies).toEqual(['run/charges.csv', 'run/rejects.csv', 'run/manifest.json']);
    const puts = log.filter((l) => l.startsWith('PutObjectCommand')).map((l) => l.split(' ')[1]!);
    expect(puts.every((k) => /^run\/\.tally-tmp-[0-9a-f]+\/[a-z]+\.(csv|json)$/.test(k))).toBe(true);
    // every upload precedes every copy; the old manifest goes before the first copy
    const lastPut = log.map((l) => l.startsWith('PutObjectCommand')).lastIndexOf(true);
    expect(log.findIndex((l) => l.startsWith('CopyObjectCommand'))).toBeGreaterThan(lastPut);
    expect(log.indexOf('DeleteObjectCommand run/manifest.json')).toBeLessThan(log.findIndex((l) => l.startsWith('CopyObjectCommand')));
    const listed = (await client.send(new ListObjectsV2Command({ Bucket: 'out', Prefix: 'run/' }))).Contents!.map((o) => o.Key);
    expect(listed).toEqual(['run/charges.csv', 'run/manifest.json', 'run/rejects.csv']);
    const manifest = await (await client.send(new GetObjectCommand({ Bucket: 'out', Key: 'run/manifest.json' }))).Body!.transformToString();
    expect(manifest).toBe('{"new":true}');
  });

  it('a failure mid-publish removes the temporary keys, writes no manifest and says so', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'fail-'));
    for (const n of ['charges.csv', 'manifest.json', 'rejects.csv']) fs.writeFileSync(path.join(dir, n), 'x\n');
    const c = s3.client();
    spy(c, (cmd, key) => cmd === 'CopyObjectCommand' && key === 'failing/rejects.csv');
    const e = await uploadOutputDir(dir, 's3://out/failing/', { client: c }).catch((err: unknown) => err as DataError);
    expect(e).toBeInstanceOf(DataError);
    expect((e as DataError).message).toContain('cannot publish s3://out/failing/rejects.csv');
    expect((e as DataError).message).toContain('are incomplete (no new manifest.json)');
    const listed = (await client.send(new ListObjectsV2Command({ Bucket: 'out', Prefix: 'failing/' }))).Contents?.map((o) => o.Key);
    expect(listed).toEqual(['failing/charges.csv']); // no temporary key, no manifest
  });
});

describe('tally run on s3 inputs', () => {
  it('rates objects listed by a glob exactly as it rates the same local files', async () => {
    // bin/tally.js runs the built code: `npm run build` first (not run here: the build is shared with other work).
    const built = fs.readFileSync(path.join(ROOT, 'dist/io/sources/s3.js'), 'utf8');
    expect(built, 'dist/ holds the placeholder s3 source: run npm run build').toContain('listMatching');
    const lines = fs.readFileSync(path.join(ROOT, 'fixtures/usage/cloud-api.csv'), 'utf8').trimEnd().split('\n');
    const [header, ...rows] = lines;
    const half = Math.ceil(rows.length / 2);
    const parts = [rows.slice(0, half), rows.slice(half)].map((r) => [header, ...r].join('\n') + '\n');
    const local = fs.mkdtempSync(path.join(work, 'local-'));
    for (const [i, text] of parts.entries()) {
      fs.writeFileSync(path.join(local, `part-${i + 1}.csv`), text);
      await put('data', `usage/part-${i + 1}.csv`, text);
    }
    await put('data', 'usage/readme.txt', 'not usage');
    const { TALLY_PROFILE: _unused, AWS_ACCESS_KEY_ID: _k, AWS_SECRET_ACCESS_KEY: _s, ...baseEnv } = savedEnv; // no stray profile or keys
    const run = (inputs: string[], out: string, env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [path.join(ROOT, 'bin/tally.js'), 'run', 'rulesets/examples/cloud-api.yaml', ...inputs, '--out', out, '--no-state'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...baseEnv, ...env },
      });
    const outS3 = path.join(work, 'out-s3');
    const outLocal = path.join(work, 'out-local');
    const r1 = run(['s3://data/usage/*.csv', '--s3-endpoint', s3.endpoint], outS3, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    expect(r1.status, r1.stderr).toBe(0);
    expect(r1.stderr).not.toContain('Warning');
    const r2 = run([path.join(local, 'part-1.csv'), path.join(local, 'part-2.csv')], outLocal);
    expect(r2.status, r2.stderr).toBe(0);
    const charges = fs.readFileSync(path.join(outS3, 'charges.csv'), 'utf8');
    expect(charges.split('\n').length).toBeGreaterThan(2);
    expect(charges).toBe(fs.readFileSync(path.join(outLocal, 'charges.csv'), 'utf8'));
    expect(fs.readFileSync(path.join(outS3, 'manifest.json'), 'utf8')).toContain('s3://data/usage/part-1.csv');
  });
  it('publishes a run to an s3:// output: charges, rejects and the manifest, as a local run writes them', async () => {
    await put('data', 'one/usage.csv', fs.readFileSync(path.join(ROOT, 'fixtures/usage/cloud-api.csv')));
    const { TALLY_PROFILE: _unused, ...baseEnv } = savedEnv;
    const env = { ...baseEnv, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
    const run = (out: string) =>
      spawnSync(process.execPath, [path.join(ROOT, 'bin/tally.js'), 'run', 'rulesets/examples/cloud-api.yaml', 'fixtures/usage/cloud-api.csv', '--out', out, '--no-state', '--s3-endpoint', s3.endpoint], { cwd: ROOT, encoding: 'utf8', env });
    const r = run('s3://out/runs/2026-10/');
    expect(r.status, r.stderr).toBe(0);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'out', Prefix: 'runs/2026-10/' }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(['runs/2026-10/charges.csv', 'runs/2026-10/manifest.json', 'runs/2026-10/rejects.csv']);
    const local = path.join(work, 'out-local-2');
    expect(run(local).status).toBe(0);
    const body = await client.send(new GetObjectCommand({ Bucket: 'out', Key: 'runs/2026-10/charges.csv' }));
    expect(await body.Body!.transformToString()).toBe(fs.readFileSync(path.join(local, 'charges.csv'), 'utf8'));
  });
  it('tally diff fetches s3:// usage once and rates it with both rulesets', async () => {
    await put('data', 'diff/usage.csv', fs.readFileSync(path.join(ROOT, 'fixtures/usage/cloud-api.csv')));
    const { TALLY_PROFILE: _unused, ...baseEnv } = savedEnv;
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/tally.js'), 'diff', 'rulesets/examples/cloud-api.yaml', 'rulesets/examples/cloud-api.yaml', 's3://data/diff/*.csv', '--s3-endpoint', s3.endpoint, '--json'], {
      cwd: ROOT, encoding: 'utf8', env: { ...baseEnv, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
    });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { totals: { currency: string; old: string; new: string }[] };
    expect(report.totals.length).toBeGreaterThan(0);
    for (const t of report.totals) expect(t.new).toBe(t.old);
  });
});
