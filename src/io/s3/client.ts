/**
 * S3 clients and S3 errors, shared by the S3 source and the S3 sink. Settings come from the profile's `s3`
 * connection whose `bucket` setting names the bucket (else the SDK's defaults); `--s3-endpoint` overrides the
 * endpoint. Credentials are never part of a message: errors name the URI and the S3 error code only.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { DataError, UsageError } from '../../cli/errors.js';
import { textSetting, type Connection, type Profile } from '../profile/profile.js';

export interface S3Location {
  bucket: string;
  /** Key or key pattern, without a leading slash ('' = the bucket's root). */
  key: string;
}

/** `s3://bucket/key…` → bucket and key. */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(uri);
  if (!m) throw new UsageError(`${uri} is not an s3:// address`, 'write s3://bucket/prefix/file.csv (or a glob such as s3://bucket/usage/*.csv.gz)');
  return { bucket: m[1]!, key: m[2]! };
}

export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** The s3 connection that declares this bucket, if any. */
export function connectionForBucket(profile: Profile, bucket: string): Connection | undefined {
  return profile.ofType('s3').find((c) => textSetting(c, 'bucket') === bucket);
}

/** A client for one bucket. The caller destroys it (it holds sockets open). */
export function s3Client(bucket: string, profile: Profile, endpointOverride?: string): S3Client {
  // The SDK warns on every process under Node < 22 about its own future releases; tally supports Node 20, so the
  // warning would only be noise on a user's terminal (set the variable to anything else to see it).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const conn = connectionForBucket(profile, bucket);
  const setting = (key: string) => (conn ? textSetting(conn, key) : undefined);
  const endpoint = endpointOverride ?? setting('endpoint');
  const config: S3ClientConfig = { region: setting('region') ?? process.env.AWS_REGION ?? 'us-east-1' };
  if (endpoint) {
    config.endpoint = endpoint;
    // S3-compatible stores (MinIO, s3rver, older Ceph…) reject the SDK's default CRC trailers on uploads and
    // do not return checksums on downloads: only send or check them where the API requires it.
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
    // Without DNS for <bucket>.<host>, an explicit endpoint usually means path-style addressing.
    config.forcePathStyle = true;
  }
  const pathStyle = setting('force_path_style');
  if (pathStyle !== undefined) config.forcePathStyle = pathStyle === 'true';
  const keyId = setting('access_key_id');
  const secret = setting('secret_access_key');
  if (keyId !== undefined || secret !== undefined) {
    if (keyId === undefined || secret === undefined) {
      throw new UsageError(`connection "${conn!.name}" gives only one of access_key_id and secret_access_key`, 'give both, or neither to use the standard AWS credential chain');
    }
    const token = setting('session_token');
    config.credentials = { accessKeyId: keyId, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) };
  } // else: the SDK's chain (AWS_ACCESS_KEY_ID…, ~/.aws, SSO, instance roles)
  return new S3Client(config);
}

/** Turns an SDK or network failure into a DataError naming the URI, with a hint saying what to check. */
export function s3Failure(e: unknown, uri: string, doing: string): DataError {
  if (e instanceof DataError) return e;
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = err.$metadata?.httpStatusCode;
  const name = err.name ?? 'Error';
  if (name === 'NoSuchBucket') return new DataError(`${doing} ${uri}: the bucket does not exist`, 'check the bucket name and the endpoint (--s3-endpoint or the profile)');
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new DataError(`${doing} ${uri}: not found (no such object, or no such bucket)`, 'check the key and the bucket; the object may have been deleted');
  }
  if (status === 403 || ['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'Forbidden'].includes(name)) {
    return new DataError(`${doing} ${uri}: access denied (${name})`, 'check the credentials (the s3 connection in the profile, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and their permissions on the bucket');
  }
  if (name === 'PreconditionFailed' || status === 412) return new DataError(`${doing} ${uri}: the object changed while it was being read`, 'run again');
  if (name === 'CredentialsProviderError') return new DataError(`${doing} ${uri}: no AWS credentials were found`, 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or declare access_key_id/secret_access_key on an s3 connection for this bucket');
  if (status === undefined) {
    // No HTTP answer at all: refused, DNS, TLS, reset. The SDK has already retried.
    return new DataError(`${doing} ${uri}: cannot reach the store (${err.code ?? name}: ${firstLine(err.message)})`, 'check the endpoint (--s3-endpoint or the profile) and the network');
  }
  return new DataError(`${doing} ${uri}: ${name} (HTTP ${status})`, 'check the endpoint, the credentials and the address');
}

function firstLine(s: string | undefined): string {
  return (s ?? '').split('\n')[0]!;
}
