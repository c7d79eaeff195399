/**
 * The Kafka source: `kafka://CONNECTION/topic`. A run rates each message exactly once across runs:
 *
 * - at the start it reads the topic's partitions and their end offsets (high watermarks) once;
 * - each partition is read from the offset the state file holds for it (the earliest offset when it holds
 *   none) up to, not including, that end offset: messages produced during the run wait for the next run;
 * - the returned offsets are stored by the run in the same transaction as its ledger entries. Nothing is ever
 *   committed to Kafka: the state file, not a consumer group, is the source of truth.
 *
 * Message values are spooled as one JSONL file for the topic, ordered by partition then offset, one line per
 * message (see `jsonLine`), so records, rejects and line numbers match the messages one to one.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import kafkajs, { type Consumer, type KafkaConfig, type SASLOptions } from 'kafkajs';
// kafkajs is CommonJS: Node's ESM loader gives its exports only as the default object (named imports work under
// vitest but fail in the real CLI, which test/e2e/kafka-runs.test.ts runs).
const { Kafka, KafkaJSError, logLevel } = kafkajs;
type Kafka = InstanceType<typeof Kafka>;
type KafkaJSError = InstanceType<typeof KafkaJSError>;
import { DataError, UsageError } from '../../cli/errors.js';
import { mapSetting, textSetting, type Connection } from '../profile/profile.js';
import type { InputFile } from './local-files.js';
import type { Fetched, Source, StreamOffset } from './source.js';

export interface KafkaSourceOptions {
  /** Bound on connecting and reading the partitions and their offsets. */
  connectMs?: number;
  /** How long reading may go without progress (group join or a batch) before the broker is declared gone. */
  stallMs?: number;
}

/** Partition → [first offset to read, end offset], both as bigint (offsets are int64). */
type Ranges = Map<number, { from: bigint; end: bigint }>;

export function createKafkaSource({ connectMs = 10_000, stallMs = 10_000 }: KafkaSourceOptions = {}): Source {
  return {
    async fetch(arg, ctx): Promise<Fetched> {
      const { connectionName, topic } = parseKafkaUri(arg);
      const stream = `kafka://${connectionName}/${topic}`;
      const connection = ctx.profile.connection(connectionName, 'kafka');
      const kafka = new Kafka(clientConfig(connection, connectMs));
      const committed = (await ctx.committedOffsets?.(stream)) ?? new Map<number, string>();

      const ranges = await withDeadline(partitionRanges(kafka, stream, topic, committed, connection), connectMs, () => unreachable(stream, connection, `no answer within ${connectMs / 1000} s`));
      const offsets: StreamOffset[] = [...ranges].map(([partition, r]) => ({ stream, partition, from: String(r.from), to: String(r.end) }));

      const dir = fs.mkdtempSync(path.join(ctx.tempDir, 'kafka-'));
      const file = path.join(dir, `${topic}.jsonl`);
      const records = await readRanges(kafka, stream, topic, ranges, dir, file, stallMs);
      const input: InputFile = { name: stream, path: file, format: 'jsonl', compression: 'none', origin: { uri: stream, records } };
      return { files: [input], offsets };
    },
  };
}

export const kafkaSource: Source = createKafkaSource();

export function parseKafkaUri(arg: string): { connectionName: string; topic: string } {
  const m = /^kafka:\/\/([^/]+)\/([^/]+)$/i.exec(arg);
  // Kafka's own rule for topic names: letters, digits, '.', '_' and '-', at most 249 characters.
  if (!m || !/^[A-Za-z0-9._-]{1,249}$/.test(m[2]!)) throw new UsageError(`${arg} is not a Kafka topic`, 'write kafka://CONNECTION/topic, with CONNECTION a kafka connection of the profile');
  return { connectionName: m[1]!, topic: m[2]! };
}

/** kafkajs settings from the profile; retries are short so that a dead cluster fails the run in seconds. */
function clientConfig(connection: Connection, connectMs: number): KafkaConfig {
  const raw = connection.settings.brokers;
  const brokers = (Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',') : []).map((b) => b.trim()).filter(Boolean);
  if (brokers.length === 0) throw new DataError(`connection "${connection.name}" has no brokers`, 'list them: brokers: [host:9092, ...]');
  const ssl = connection.settings.ssl;
  const ca = textSetting(connection, 'ssl_ca');
  return {
    brokers,
    clientId: textSetting(connection, 'client_id') ?? 'tally',
    ssl: ca !== undefined ? { ca: [ca] } : ssl === true || ssl === 'true',
    sasl: saslConfig(connection),
    connectionTimeout: Math.min(3000, connectMs),
    requestTimeout: connectMs,
    retry: { retries: 3, initialRetryTime: 250, maxRetryTime: 2000 },
    logLevel: logLevel.NOTHING,
  };
}

function saslConfig(connection: Connection): SASLOptions | undefined {
  if (connection.settings.sasl === undefined) return undefined;
  const s = mapSetting(connection, 'sasl');
  const mechanism = (s.mechanism ?? '').toLowerCase();
  if (s.username === undefined || s.password === undefined) throw new DataError(`connection "${connection.name}": sasl needs username and password`);
  if (mechanism === 'plain' || mechanism === 'scram-sha-256' || mechanism === 'scram-sha-512') return { mechanism, username: s.username, password: s.password };
  throw new DataError(`connection "${connection.name}": sasl mechanism "${s.mechanism ?? ''}" is not supported`, 'use plain, scram-sha-256 or scram-sha-512');
}

/** The partitions, each with the offset to start from (committed, else earliest) and the end offset now. */
async function partitionRanges(kafka: Kafka, stream: string, topic: string, committed: Map<number, string>, connection: Connection): Promise<Ranges> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    // Listing asks for no topic by name: asking for a missing one by name makes brokers with
    // auto.create.topics.enable (and librdkafka's mock cluster) create it.
    if (!(await admin.listTopics()).includes(topic)) throw new DataError(`${stream}: the topic ${topic} does not exist`, 'check the topic name and the connection\'s brokers');
    const watermarks = await admin.fetchTopicOffsets(topic);
    const ranges: Ranges = new Map();
    for (const w of [...watermarks].sort((a, b) => a.partition - b.partition)) {
      const [low, end] = [BigInt(w.low), BigInt(w.high)];
      const stored = committed.get(w.partition);
      if (stored !== undefined && !/^\d+$/.test(stored)) throw new DataError(`${stream}: the state file holds "${stored}" as partition ${w.partition}'s offset`);
      const from = stored === undefined ? low : BigInt(stored);
      if (from > end) {
        throw new DataError(
          `${stream}: partition ${w.partition} ends at offset ${end}, before offset ${from} where the last run stopped`,
          'the topic was probably deleted and recreated; its offsets in the state file no longer apply',
        );
      }
      if (from < low) {
        // Rating from `low` would bill the rest and silently drop what retention deleted: say so instead.
        throw new DataError(
          `${stream}: partition ${w.partition} starts at offset ${low}: messages ${from}..${low - 1n} were deleted by retention before a run rated them`,
          'they cannot be read from Kafka any more; run tally more often than the topic\'s retention, and reset this stream\'s offsets in the state file to go on',
        );
      }
      ranges.set(w.partition, { from, end });
    }
    return ranges;
  } catch (e) {
    throw e instanceof KafkaJSError ? unreachable(stream, connection, e.message) : e;
  } finally {
    await settle(admin.disconnect());
  }
}

/**
 * Reads every partition's range into the spool file and returns the number of messages.
 *
 * kafkajs consumers are group-based (there is no plain `assign`): a consumer with a throwaway group id takes
 * every partition, is moved to each range's start with `seek`, and never commits (`autoCommit: false`). The
 * messages it delivers outside a range (before the seek lands, or after the end) are skipped by offset.
 */
async function readRanges(kafka: Kafka, stream: string, topic: string, ranges: Ranges, dir: string, file: string, stallMs: number): Promise<number> {
  const pending = [...ranges].filter(([, r]) => r.from < r.end);
  const expected = pending.reduce((n, [, r]) => n + Number(r.end - r.from), 0);
  if (pending.length === 0) {
    fs.writeFileSync(file, '');
    return 0;
  }

  // One part file per partition, written as batches arrive (partitions interleave), joined in partition order.
  const parts = new Map<number, { path: string; fh: fs.promises.FileHandle; next: bigint; end: bigint }>();
  for (const [p, r] of pending) {
    const partPath = path.join(dir, `part-${p}.jsonl`);
    parts.set(p, { path: partPath, fh: await fs.promises.open(partPath, 'w'), next: r.from, end: r.end });
  }
  let records = 0;
  let remaining = parts.size;
  let lastProgress = Date.now();
  let finish!: () => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<void>((resolve, reject) => ([finish, fail] = [resolve, reject]));
  done.catch(() => undefined); // a failure before anything awaits `done` must not be an unhandled rejection

  const consumer: Consumer = kafka.consumer({ groupId: `tally-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 500, retry: { retries: 3, initialRetryTime: 250, maxRetryTime: 2000 } });
  /** Moves a partition's position forward; a partition at its end is paused so later messages are not fetched. */
  const advance = (partition: number, next: bigint) => {
    const part = parts.get(partition);
    if (!part || next <= part.next || part.next >= part.end) return;
    part.next = next;
    lastProgress = Date.now();
    if (part.next >= part.end) {
      consumer.pause([{ topic, partitions: [partition] }]);
      if (--remaining === 0) finish();
    }
  };
  const gone = (detail?: string) =>
    new DataError(
      `${stream}: the broker stopped answering after ${records} of ${expected} messages; nothing was rated or committed`,
      `check that Kafka is up and reachable, then run again (the same messages are read)${detail ? ` — ${detail}` : ''}`,
    );
  /** A kafkajs failure while reading: a refusal (ACLs on the throwaway group, say) is told apart from silence. */
  const failure = (e: KafkaJSError) => {
    const cause = e as KafkaJSError & { type?: string; originalError?: { type?: string } };
    const type = cause.type ?? cause.originalError?.type;
    if (!type?.endsWith('AUTHORIZATION_FAILED')) return gone(e.message);
    return new DataError(
      `${stream}: the broker refused to let tally read the topic (${type}); nothing was rated or committed`,
      'tally reads through a throwaway consumer group named tally-<uuid> and never commits to it: allow the connection\'s principal to read the topic and consumer groups prefixed tally-',
    );
  };

  consumer.on(consumer.events.GROUP_JOIN, () => (lastProgress = Date.now()));
  // Batches holding only transaction markers or aborted messages reach no eachBatch, but still move the position.
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => advance(e.payload.partition, BigInt(e.payload.lastOffset) + 1n));
  consumer.on(consumer.events.CRASH, (e) => fail(e.payload.error instanceof KafkaJSError ? failure(e.payload.error) : gone(e.payload.error.message)));
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgress > stallMs) fail(gone(`no progress for ${stallMs / 1000} s`));
  }, 250);

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const running = consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const part = parts.get(batch.partition);
        if (!part) return;
        let text = '';
        let next = part.next;
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset < next || offset >= part.end) continue;
          text += jsonLine(m.value) + '\n';
          next = offset + 1n;
          records++;
        }
        if (text) await part.fh.write(text);
        advance(batch.partition, next);
      },
    });
    running.catch(() => undefined); // its failure is seen through the race below, or no longer matters
    await Promise.race([running, done]);
    // run() resolves once the group is joined; fetching has begun, so seek now (see the offset checks above).
    for (const [p, r] of ranges) {
      if (r.from < r.end) consumer.seek({ topic, partition: p, offset: String(r.from) });
    }
    const idle = [...ranges].filter(([, r]) => r.from >= r.end).map(([p]) => p);
    if (idle.length) consumer.pause([{ topic, partitions: idle }]);
    await done;
  } catch (e) {
    throw e instanceof KafkaJSError ? failure(e) : e;
  } finally {
    clearInterval(watchdog);
    // Leaving the group can hang on a dead broker; the outcome is already known.
    await settle(consumer.disconnect(), 3000);
    for (const part of parts.values()) await part.fh.close();
  }

  const out = fs.createWriteStream(file);
  for (const p of [...parts.keys()].sort((a, b) => a - b)) {
    await pipeline(fs.createReadStream(parts.get(p)!.path), out, { end: false });
    fs.rmSync(parts.get(p)!.path);
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return records;
}

/**
 * One JSONL line for a message value, so every message is one record:
 * - a JSON object is kept as sent (numbers keep their exact text), with line breaks turned into spaces: in
 *   valid JSON they can only be whitespace between tokens;
 * - anything else (not JSON, a JSON array or scalar, an empty value, a tombstone) is written as a JSON string
 *   holding the text (`null` for a tombstone), which mediation rejects as malformed_json with the text shown.
 */
export function jsonLine(value: Buffer | null): string {
  if (value === null) return 'null';
  const text = value.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return text.trim().replace(/[\r\n]+/g, ' ');
  } catch {
    // not JSON: quoted below
  }
  return JSON.stringify(text);
}

function unreachable(stream: string, connection: Connection, detail: string): DataError {
  return new DataError(
    `${stream}: cannot read the topic's offsets from the brokers of connection "${connection.name}": ${detail}`,
    'check the brokers (and ssl/sasl settings) in the profile and that Kafka is reachable from here',
  );
}

async function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for a clean-up step (bounded), ignoring its failure. */
async function settle(p: Promise<unknown>, ms = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
