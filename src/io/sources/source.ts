/**
 * Remote sources: usage that lives in an object store, a stream, a warehouse or an API. Each source fetches what
 * an argument names into the run's spool folder (files in a format the readers know, usually JSONL or the
 * object's own CSV/Parquet), so mediation, line numbers, rejects and fingerprints work the same for every
 * source. A batch rater reads each input once, whole, before rating; spooling trades disk for that simplicity
 * and lets a failed fetch fail the run before anything is rated or committed.
 *
 * Arguments name sources by scheme:
 *   s3://bucket/prefix/*.csv.gz           objects (settings: the s3 connection naming the bucket, else defaults)
 *   kafka://CONNECTION/topic              a topic, from the offsets the state file holds to the end offsets seen at start
 *   api://CONNECTION                      a paged JSON API declared in the profile
 *   snowflake://CONNECTION/DB.SCHEMA.TABLE, snowflake://CONNECTION (the connection's query)
 */
import type { InputFormat } from '../../ruleset/ir.js';
import type { Profile } from '../profile/profile.js';
import type { InputFile } from './local-files.js';

export interface SourceContext {
  /** Folder to spool into; removed with the run's staging folder. */
  tempDir: string;
  profile: Profile;
  /** The ruleset's declared input format ('auto' = by file name). */
  declared: InputFormat;
  /** Time window for sources that can filter at the source (Snowflake), as ISO-8601 instants; end exclusive. */
  since?: string;
  until?: string;
  /** Endpoint of an S3-compatible store (--s3-endpoint), overriding the profile's. */
  s3Endpoint?: string;
  /** Offsets committed by earlier runs for a stream (partition → next offset to read), from the state file. */
  committedOffsets?: (stream: string) => Promise<Map<number, string>>;
}

/** Where a spooled file came from, recorded in the manifest (never a secret). */
export interface InputOrigin {
  uri: string;
  etag?: string;
  size?: number;
  /** Rows or records fetched, when the source counts them (API pages, Kafka messages, Snowflake rows). */
  records?: number;
}

/** A stream position a run consumed: stored with the run's ledger entries, in the same transaction. */
export interface StreamOffset {
  /** e.g. "kafka://events/usage": the connection and topic. */
  stream: string;
  partition: number;
  /** First offset read (inclusive) and the next offset to read after this run. */
  from: string;
  to: string;
}

export interface Fetched {
  files: InputFile[];
  offsets?: StreamOffset[];
}

export interface Source {
  /** Fetches what `arg` names into ctx.tempDir. Fails whole (a DataError naming the source) or returns every file. */
  fetch(arg: string, ctx: SourceContext): Promise<Fetched>;
}

/** Schemes and the modules implementing them, imported only when used (start-up stays fast). */
const SOURCES: Record<string, () => Promise<Source>> = {
  's3:': async () => (await import('./s3.js')).s3Source,
  'kafka:': async () => (await import('./kafka.js')).kafkaSource,
  'api:': async () => (await import('./http.js')).httpSource,
  'snowflake:': async () => (await import('./snowflake.js')).snowflakeSource,
};

/** The scheme of a remote argument (`s3:` …), or null for a local path. */
export function remoteScheme(arg: string): string | null {
  const m = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(arg);
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  return scheme in SOURCES ? scheme : null;
}

export async function sourceFor(scheme: string): Promise<Source> {
  return SOURCES[scheme]!();
}
