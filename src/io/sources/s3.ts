/**
 * The S3 source: `s3://bucket/key` (one object) or `s3://bucket/prefix/*.csv.gz` (a glob: `*` and `?` within a
 * path segment, `**` across segments, `[...]` a character class). Matching objects are listed (all pages),
 * sorted by key and streamed to files in the spool folder; each download is checked against the listed size,
 * so an object cut short or replaced mid-run fails the run instead of being rated in part.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DataError, UsageError } from '../../cli/errors.js';
import { parseS3Uri, s3Client, s3Failure, s3Uri } from '../s3/client.js';
import { checkReadable, detectFormat, type InputFile } from './local-files.js';
import type { Source } from './source.js';

const GLOB = /[*?[]/;
/** Downloads in flight at once: enough to hide per-request latency on many small objects. */
const PARALLEL = 4;

export interface S3Object {
  key: string;
  size: number;
  etag: string;
}

export const s3Source: Source = {
  async fetch(arg, ctx) {
    const { bucket, key: pattern } = parseS3Uri(arg);
    if (pattern === '') throw new UsageError(`${arg} names a bucket, not objects`, `name an object or a glob, such as s3://${bucket}/usage/*.csv`);
    const client = s3Client(bucket, ctx.profile, ctx.s3Endpoint);
    try {
      const objects = GLOB.test(pattern) ? await listMatching(client, bucket, pattern) : [await headObject(client, bucket, pattern)];
      if (objects.length === 0) throw new DataError(`no object matches ${arg}`, 'check the pattern (* stays within one /-separated segment; ** crosses them), the bucket and the endpoint');
      // One folder per argument, and the object's index in each file name: two keys with the same base name in
      // different prefixes never collide, and the key's extension is kept so the format is detected from it.
      const dir = fs.mkdtempSync(path.join(ctx.tempDir, 's3-'));
      const files: InputFile[] = objects.map((o, i) => {
        const uri = s3Uri(bucket, o.key);
        return {
          name: uri,
          path: path.join(dir, `${String(i).padStart(6, '0')}-${path.posix.basename(o.key)}`),
          ...detectFormat(o.key, ctx.declared),
          origin: { uri, etag: o.etag, size: o.size },
        };
      });
      let next = 0;
      let failed = false; // the first failure fails the fetch: the other workers stop taking objects
      const worker = async () => {
        while (next < objects.length && !failed) {
          const i = next++;
          await download(client, bucket, objects[i]!, files[i]!.path).catch((e: unknown) => {
            failed = true;
            throw e;
          });
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, objects.length) }, worker));
      // The same header checks as a local file: "not gzip", "not Parquet" said plainly, naming the object.
      for (const f of files) checkReadable(f);
      return { files };
    } finally {
      client.destroy();
    }
  },
};

/** Every object whose key matches the glob, sorted by key, reading all pages of the listing. */
export async function listMatching(client: S3Client, bucket: string, pattern: string): Promise<S3Object[]> {
  const re = globToRegExp(pattern);
  // List only under the literal part before the first wildcard (S3 prefixes are plain string prefixes).
  const prefix = pattern.slice(0, pattern.search(GLOB));
  const found: S3Object[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    } catch (e) {
      throw s3Failure(e, s3Uri(bucket, pattern), 'cannot list');
    }
    for (const o of page.Contents ?? []) {
      if (o.Key && !o.Key.endsWith('/') && re.test(o.Key)) found.push({ key: o.Key, size: Number(o.Size ?? 0), etag: unquote(o.ETag) });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** `*` and `?` within a segment, `**` across segments (`a/**` + `/b` also matches `a/b`), `[...]` as written. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      if (pattern[i + 2] === '/') [re, i] = [re + '(?:.*/)?', i + 2];
      else [re, i] = [re + '.*', i + 1];
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else [re, i] = [re + '[' + pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']', end];
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function headObject(client: S3Client, bucket: string, key: string): Promise<S3Object> {
  try {
    const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { key, size: Number(h.ContentLength ?? 0), etag: unquote(h.ETag) };
  } catch (e) {
    throw s3Failure(e, s3Uri(bucket, key), 'cannot read');
  }
}

async function download(client: S3Client, bucket: string, o: S3Object, file: string): Promise<void> {
  const uri = s3Uri(bucket, o.key);
  let body: Readable;
  try {
    // If-Match: the object read is the one listed (a store that ignores it is still caught by the size check).
    body = (await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.key, ...(o.etag ? { IfMatch: `"${o.etag}"` } : {}) }))).Body as Readable;
  } catch (e) {
    throw s3Failure(e, uri, 'cannot download');
  }
  let bytes = 0;
  const count = async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      yield chunk;
    }
  };
  try {
    await pipeline(body, count, fs.createWriteStream(file));
  } catch (e) {
    throw new DataError(`${uri}: the download was cut short after ${bytes} of ${o.size} bytes (${(e as Error).message})`, 'check the network and the endpoint, then run again');
  }
  if (bytes !== o.size) throw new DataError(`${uri}: downloaded ${bytes} bytes of ${o.size}`, 'the object changed while it was read, or the store sent it short; run again');
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/"/g, '');
}
