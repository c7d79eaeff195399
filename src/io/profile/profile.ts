/**
 * The profile file (`tally.yaml` in the working directory, or `--profile FILE`): where data lives and how to
 * connect to it, kept apart from the ruleset (which says what to do with the data and goes in version control
 * with the rate card). Secrets never appear in it as values: a setting whose value is `{ env: NAME }` or
 * `{ file: PATH }` is read from the environment or a file when a connector needs it, and nothing read that way
 * is ever printed, logged or written to a manifest.
 *
 *   connections:
 *     lake:     { type: s3, endpoint: http://127.0.0.1:9000, region: us-east-1, force_path_style: true,
 *                 access_key_id: { env: LAKE_KEY }, secret_access_key: { env: LAKE_SECRET } }
 *     events:   { type: kafka, brokers: [127.0.0.1:9092], client_id: tally }
 *     usage_api: { type: http, url: https://api.example.com/v1/usage, records: $.data,
 *                 headers: { Authorization: { env: USAGE_API_AUTH } }, paging: { cursor: $.next_cursor, param: cursor } }
 *     warehouse: { type: snowflake, account: xy12345, username: TALLY, authenticator: SNOWFLAKE_JWT,
 *                 private_key: { file: /etc/tally/key.p8 }, warehouse: BILLING_WH, database: USAGE, schema: RAW }
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { DataError, UsageError } from '../../cli/errors.js';

export type ConnectionType = 's3' | 'kafka' | 'http' | 'snowflake';
export const CONNECTION_TYPES: readonly ConnectionType[] = ['s3', 'kafka', 'http', 'snowflake'];

/** A setting as written: a plain value, or a reference to a secret. */
export type Setting = string | number | boolean | null | Setting[] | { env: string } | { file: string } | { [key: string]: Setting };

export interface Connection {
  name: string;
  type: ConnectionType;
  /** The settings as written (secret references unresolved); read them through `Profile.text` and friends. */
  settings: Record<string, Setting>;
}

export class Profile {
  constructor(
    /** The file it came from, or null when there is none (every connector then uses its defaults). */
    readonly file: string | null,
    readonly connections: ReadonlyMap<string, Connection>,
  ) {}

  static empty(): Profile {
    return new Profile(null, new Map());
  }

  /** A connection by name, of the type the caller needs. */
  connection(name: string, type: ConnectionType): Connection {
    const c = this.connections.get(name);
    if (!c) {
      const known = [...this.connections.values()].filter((x) => x.type === type).map((x) => x.name);
      throw new UsageError(
        `there is no ${type} connection "${name}"${this.file ? ` in ${this.file}` : ' (no profile file was found)'}`,
        known.length ? `known ${type} connections: ${known.join(', ')}` : `declare it under connections: in tally.yaml (or give --profile FILE)`,
      );
    }
    if (c.type !== type) throw new UsageError(`connection "${name}" is of type ${c.type}, not ${type}`, `use a ${type} connection here`);
    return c;
  }

  /** The connections of a type (S3 settings apply by bucket, so the S3 source looks them all up). */
  ofType(type: ConnectionType): Connection[] {
    return [...this.connections.values()].filter((c) => c.type === type);
  }
}

/** Where the profile is: --profile, else $TALLY_PROFILE, else ./tally.yaml when it exists, else none. */
export function loadProfile(explicit?: string): Profile {
  const file = explicit ?? process.env.TALLY_PROFILE ?? (fs.existsSync('tally.yaml') ? 'tally.yaml' : null);
  if (file === null) return Profile.empty();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read the profile file ${file}`, 'check the path given to --profile (or $TALLY_PROFILE)');
  }
  return parseProfile(text, file);
}

export function parseProfile(text: string, file: string): Profile {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0];
    throw new DataError(`${file}${at ? `:${at.line}:${at.col}` : ''}: ${e.message.split('\n')[0]}`, 'fix the YAML syntax of the profile');
  }
  const root = doc.toJS({ maxAliasCount: 100 }) as unknown; // aliases bounded: no billion laughs
  if (root === null || root === undefined) return new Profile(file, new Map());
  if (!isRecord(root)) throw new DataError(`${file}: the profile must be a mapping with a connections: section`);
  const unknownTop = Object.keys(root).filter((k) => k !== 'connections');
  if (unknownTop.length) throw new DataError(`${file}: unknown section ${unknownTop.map((k) => `"${k}"`).join(', ')}`, 'a profile has one section, connections:');
  const raw = root.connections ?? {};
  if (!isRecord(raw)) throw new DataError(`${file}: connections: must map names to settings`);
  const connections = new Map<string, Connection>();
  for (const [name, value] of Object.entries(raw)) {
    const where = `${file}: connection "${name}"`;
    if (!isRecord(value)) throw new DataError(`${where} must be a mapping of settings`);
    const type = value.type;
    if (typeof type !== 'string' || !CONNECTION_TYPES.includes(type as ConnectionType)) {
      throw new DataError(`${where} has ${type === undefined ? 'no type' : `type "${String(type)}"`}`, `type is one of ${CONNECTION_TYPES.join(', ')}`);
    }
    const { type: _t, ...settings } = value;
    connections.set(name, { name, type: type as ConnectionType, settings: settings as Record<string, Setting> });
  }
  return new Profile(file, connections);
}

/**
 * A setting's value with secrets resolved: `{ env: NAME }` from the environment, `{ file: PATH }` from a file
 * (`~` is the home folder; one trailing newline dropped). Missing secrets fail naming the setting, never the value.
 */
export function resolveSetting(connection: Connection, key: string): string | number | boolean | null | undefined {
  const v: unknown = connection.settings[key];
  if (v === undefined || v === null) return v;
  if (isRecord(v) && typeof v.env === 'string' && Object.keys(v).length === 1) {
    const value = process.env[v.env];
    if (value === undefined) throw new DataError(`connection "${connection.name}": ${key} comes from the environment variable ${v.env}, which is not set`, `export ${v.env} before running tally`);
    return value;
  }
  if (isRecord(v) && typeof v.file === 'string' && Object.keys(v).length === 1) {
    const p = v.file.startsWith('~/') ? path.join(os.homedir(), v.file.slice(2)) : v.file;
    try {
      return fs.readFileSync(p, 'utf8').replace(/\r?\n$/, '');
    } catch {
      throw new DataError(`connection "${connection.name}": cannot read the file ${v.file} given for ${key}`, 'check the path and its permissions');
    }
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  throw new DataError(`connection "${connection.name}": ${key} must be a single value, { env: NAME } or { file: PATH }`);
}

/** A text setting (secrets resolved), or undefined when absent. */
export function textSetting(connection: Connection, key: string): string | undefined {
  const v = resolveSetting(connection, key);
  return v === undefined || v === null ? undefined : String(v);
}

/** A mapping setting (such as HTTP headers), each value resolved like a single setting. */
export function mapSetting(connection: Connection, key: string): Record<string, string> {
  const v: unknown = connection.settings[key];
  if (v === undefined || v === null) return {};
  if (!isRecord(v) || 'env' in v || 'file' in v) throw new DataError(`connection "${connection.name}": ${key} must be a mapping`);
  const out: Record<string, string> = {};
  for (const k of Object.keys(v)) {
    const one = resolveSetting({ ...connection, settings: v as Record<string, Setting> }, k);
    if (one !== undefined && one !== null) out[k] = String(one);
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
