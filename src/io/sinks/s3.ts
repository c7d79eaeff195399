/**
 * Publishes a finished output folder to `s3://bucket/prefix/`, whole or not at all as far as a reader can tell.
 * S3 has no rename and no multi-object transaction, so:
 *   1. every file is uploaded under a temporary prefix (`prefix/.tally-tmp-<random>/name`; multipart for large
 *      files) — nothing under the final keys changes while the slow part runs;
 *   2. the previous manifest.json (if any) is deleted, then each file is copied server-side to its final key,
 *      manifest.json last: the manifest is the commit marker, so a reader that finds one finds the files it
 *      describes, and a reader that finds none knows the set is being written;
 *   3. the temporary keys are deleted.
 * A failure at any step removes the temporary keys and fails with the target named.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CopyObjectCommand, DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DataError } from '../../cli/errors.js';
import { MANIFEST } from './output-dir.js';
import { Profile } from '../profile/profile.js';
import { parseS3Uri, s3Client, s3Failure, s3Uri } from '../s3/client.js';

/** CopyObject copies at most 5 GiB in one request; larger objects need a multipart copy (UploadPartCopy), which
 * outputs of this size have not needed yet, so they are refused up front rather than failing half-way. */
const MAX_COPY = 5 * 1024 ** 3;

export interface UploadOptions {
  /** Where the bucket's s3 connection is declared (else the SDK's defaults). */
  profile?: Profile;
  /** --s3-endpoint. */
  s3Endpoint?: string;
  /** Multipart part size in bytes (default and minimum 5 MiB); files larger than one part go multipart. */
  partSize?: number;
  /** A client to use instead of one built from the profile (the caller keeps ownership). */
  client?: S3Client;
  /** Told when the upload succeeded but temporary keys could not be removed (never fatal: the outputs are whole). */
  warn?: (message: string) => void;
}

/** Uploads every file of `localDir` under `target` (s3://bucket/prefix/); returns the final URIs, manifest last. */
export async function uploadOutputDir(localDir: string, target: string, opts: UploadOptions = {}): Promise<string[]> {
  const { bucket, key } = parseS3Uri(target);
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  const names = fs
    .readdirSync(localDir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort((a, b) => (a === MANIFEST ? 1 : b === MANIFEST ? -1 : a < b ? -1 : a > b ? 1 : 0));
  for (const n of names) {
    if (fs.statSync(path.join(localDir, n)).size > MAX_COPY) throw new DataError(`${n} is larger than 5 GiB, the most an S3 copy can publish`, 'write the output to a local folder and upload it with the AWS CLI');
  }

  const client = opts.client ?? s3Client(bucket, opts.profile ?? Profile.empty(), opts.s3Endpoint);
  const tmpPrefix = `${prefix}.tally-tmp-${randomBytes(6).toString('hex')}/`;
  const uploaded: string[] = []; // temporary keys that may exist, to remove whatever happens
  const removeTemporary = async () => {
    const left: string[] = [];
    for (const k of uploaded) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: k }));
      } catch {
        left.push(k);
      }
    }
    return left;
  };
  let step = 'cannot upload';
  let current = s3Uri(bucket, prefix);
  try {
    for (const n of names) {
      const tmp = tmpPrefix + n;
      current = s3Uri(bucket, tmp);
      uploaded.push(tmp);
      await new Upload({
        client,
        params: { Bucket: bucket, Key: tmp, Body: fs.createReadStream(path.join(localDir, n)) },
        partSize: Math.max(opts.partSize ?? 0, 5 * 1024 * 1024),
        queueSize: 2, // at most queueSize × partSize bytes buffered
        leavePartsOnError: false, // a failed multipart upload is aborted, so no orphan parts are billed
      }).done();
    }
    step = 'cannot publish';
    if (names.includes(MANIFEST)) {
      current = s3Uri(bucket, prefix + MANIFEST);
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: prefix + MANIFEST }));
    }
    const done: string[] = [];
    for (const n of names) {
      current = s3Uri(bucket, prefix + n);
      const source = `${bucket}/${tmpPrefix + n}`.split('/').map(encodeURIComponent).join('/');
      await client.send(new CopyObjectCommand({ Bucket: bucket, Key: prefix + n, CopySource: source }));
      done.push(current);
    }
    const left = await removeTemporary();
    if (left.length) opts.warn?.(`the outputs are complete at ${s3Uri(bucket, prefix)}, but ${left.length} temporary object(s) under ${s3Uri(bucket, tmpPrefix)} could not be removed`);
    return done;
  } catch (e) {
    const left = await removeTemporary();
    const failure = s3Failure(e, current, step);
    const cleanup = left.length ? `; ${left.length} temporary object(s) under ${s3Uri(bucket, tmpPrefix)} could not be removed` : '';
    const state = step === 'cannot upload' ? 'nothing was published' : `the outputs at ${s3Uri(bucket, prefix)} are incomplete (no new ${MANIFEST})`;
    throw new DataError(`${failure.message}; ${state}${cleanup}`, failure.hint);
  } finally {
    if (!opts.client) client.destroy();
  }
}
