/**
 * The Kafka source against librdkafka's mock cluster (real protocol, loopback), with kafkajs producing.
 * The mock cluster creates topics on first use with 4 partitions (it has no CreateTopics): events go to
 * partitions 0-2 and partition 3 stays empty, which covers the empty-partition case.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Profile } from '../../src/io/profile/profile.js';
import { createKafkaSource, kafkaSource } from '../../src/io/sources/kafka.js';
import type { Fetched, SourceContext, StreamOffset } from '../../src/io/sources/source.js';
import { kafkaMockUnavailable, startKafkaMock, type KafkaMock } from '../helpers/kafka-mock.js';

const unavailable = kafkaMockUnavailable();

function profileFor(brokers: string[]): Profile {
  return new Profile(null, new Map([['events', { name: 'events', type: 'kafka', settings: { brokers, client_id: 'tally-test' } }]]));
}

function context(profile: Profile, committed: StreamOffset[] = []): SourceContext {
  return {
    tempDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tally-kafka-')),
    profile,
    declared: 'auto',
    committedOffsets: async (stream) => new Map(committed.filter((o) => o.stream === stream).map((o) => [o.partition, o.to])),
  };
}

function lines(fetched: Fetched): string[] {
  const text = fs.readFileSync(fetched.files[0]!.path, 'utf8');
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

async function produce(kafka: Kafka, topic: string, messages: { partition: number; value: string | null }[]): Promise<void> {
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic, messages });
  await producer.disconnect();
}

const events = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => ({ partition: (from + k) % 3, value: JSON.stringify({ n: from + k }) }));

describe.skipIf(unavailable !== null)(`kafka source${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let mock: KafkaMock;
  let kafka: Kafka;
  let profile: Profile;

  beforeAll(async () => {
    mock = await startKafkaMock();
    kafka = new Kafka({ brokers: [mock.bootstrap], clientId: 'test-producer', logLevel: logLevel.NOTHING });
    profile = profileFor([mock.bootstrap]);
  });
  afterAll(async () => {
    await mock?.stop();
  });

  it('reads each message once across runs: from the stored offsets to the end offsets seen at the start', async () => {
    await produce(kafka, 'usage', events(0, 30));
    const first = await kafkaSource.fetch('kafka://events/usage', context(profile));
    expect(first.files).toEqual([expect.objectContaining({ name: 'kafka://events/usage', format: 'jsonl', compression: 'none', origin: { uri: 'kafka://events/usage', records: 30 } })]);
    // Partition then offset: partition 0 holds 0, 3, 6 …, partition 1 holds 1, 4, 7 …
    const order = [0, 1, 2].flatMap((p) => Array.from({ length: 10 }, (_, k) => p + 3 * k));
    expect(lines(first).map((l) => (JSON.parse(l) as { n: number }).n)).toEqual(order);
    const stream = 'kafka://events/usage';
    expect(first.offsets).toEqual([
      { stream, partition: 0, from: '0', to: '10' },
      { stream, partition: 1, from: '0', to: '10' },
      { stream, partition: 2, from: '0', to: '10' },
      { stream, partition: 3, from: '0', to: '0' },
    ]);

    await produce(kafka, 'usage', events(30, 35));
    const second = await kafkaSource.fetch('kafka://events/usage', context(profile, first.offsets));
    expect(lines(second).map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([30, 33, 31, 34, 32]);
    expect(second.files[0]!.origin!.records).toBe(5);
    expect(second.offsets).toEqual([
      { stream, partition: 0, from: '10', to: '12' },
      { stream, partition: 1, from: '10', to: '12' },
      { stream, partition: 2, from: '10', to: '11' },
      { stream, partition: 3, from: '0', to: '0' },
    ]);

    const third = await kafkaSource.fetch('kafka://events/usage', context(profile, second.offsets));
    expect(lines(third)).toEqual([]);
    expect(third.files[0]!.origin!.records).toBe(0);
    expect(third.offsets).toEqual(second.offsets!.map((o) => ({ ...o, from: o.to })));
  });

  it('writes every message as one line; what is not a JSON object becomes a JSON string, rejected by mediation', async () => {
    const values = ['{"account": "a",\n  "qty": 12345678901234567890.10}', 'not json', '[1,2]', '', null, '{"line":"x\\ny"}'];
    await produce(kafka, 'odd', values.map((value) => ({ partition: 0, value })));
    const fetched = await kafkaSource.fetch('kafka://events/odd', context(profile));
    // The object keeps its exact number text (no float rounding), on one line.
    expect(lines(fetched)).toEqual(['{"account": "a",   "qty": 12345678901234567890.10}', '"not json"', '"[1,2]"', '""', 'null', '{"line":"x\\ny"}']);
    expect(fetched.files[0]!.origin!.records).toBe(6);
  });

  it('refuses a missing topic, without creating it', async () => {
    await expect(kafkaSource.fetch('kafka://events/nope', context(profile))).rejects.toThrow('kafka://events/nope: the topic nope does not exist');
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain('nope');
    await admin.disconnect();
  });

  it('refuses stored offsets past the end of a partition (a recreated topic)', async () => {
    await produce(kafka, 'small', [{ partition: 0, value: '{}' }]);
    const stale: StreamOffset[] = [{ stream: 'kafka://events/small', partition: 0, from: '0', to: '50' }];
    await expect(kafkaSource.fetch('kafka://events/small', context(profile, stale))).rejects.toThrow(/partition 0 ends at offset 1, before offset 50/);
  });

  it('fails within seconds when no broker answers', async () => {
    const started = Date.now();
    const closed = profileFor(['127.0.0.1:1']);
    await expect(kafkaSource.fetch('kafka://events/usage', context(closed))).rejects.toThrow(/kafka:\/\/events\/usage: cannot read the topic's offsets from the brokers of connection "events"/);
    expect(Date.now() - started).toBeLessThan(10_500);
  });

  it('fails clearly when the broker dies during the read', async () => {
    const doomed = await startKafkaMock({ debug: true });
    try {
      const doomedKafka = new Kafka({ brokers: [doomed.bootstrap], clientId: 'test-producer', logLevel: logLevel.NOTHING });
      await produce(doomedKafka, 'usage', events(0, 20));
      const fetching = createKafkaSource({ stallMs: 4000 }).fetch('kafka://events/usage', context(profileFor([doomed.bootstrap])));
      fetching.catch(() => undefined);
      // The offsets are read; the consumer is joining its group (which the cluster answers after a delay).
      await doomed.waitForLog(/Received JoinGroupRequest/);
      await doomed.kill();
      await expect(fetching).rejects.toThrow('kafka://events/usage: the broker stopped answering after 0 of 20 messages; nothing was rated or committed');
    } finally {
      await doomed.stop();
    }
  });

  it('fails clearly when the broker hangs during the read (no progress for the stall time)', async () => {
    const hung = await startKafkaMock({ debug: true });
    try {
      const hungKafka = new Kafka({ brokers: [hung.bootstrap], clientId: 'test-producer', logLevel: logLevel.NOTHING });
      await produce(hungKafka, 'usage', events(0, 20));
      const started = Date.now();
      const fetching = createKafkaSource({ stallMs: 2000 }).fetch('kafka://events/usage', context(profileFor([hung.bootstrap])));
      fetching.catch(() => undefined);
      await hung.waitForLog(/Received JoinGroupRequest/);
      hung.freeze();
      await expect(fetching).rejects.toThrow(/the broker stopped answering after 0 of 20 messages; nothing was rated or committed/);
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      await hung.kill();
    }
  });
});
