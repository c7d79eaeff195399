/**
 * Exactly once across runs: three `tally run`s over a growing Kafka topic (librdkafka's mock cluster, started
 * from kcat, speaking the real protocol on loopback) rate every event once. Together they bill what one run over
 * all the events bills, re-deliveries across runs included (dedupe across_runs), and the offsets they store
 * advance only when a run commits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tally, tempDir, write } from '../helpers/cli.js';
import { kafkaMockUnavailable, startKafkaMock, type KafkaMock } from '../helpers/kafka-mock.js';

const RULESET = 'rulesets/examples/cloud-api.yaml';
const unavailable = kafkaMockUnavailable();

describe.skipIf(unavailable)('tally run on a Kafka topic, three times', () => {
  let mock: KafkaMock;
  let dir: string;
  beforeAll(async () => {
    mock = await startKafkaMock();
    dir = tempDir();
  });
  afterAll(async () => {
    await mock?.stop();
  });

  it('rates each event exactly once, and three runs bill what one run over everything bills', async () => {
    // The stream re-delivers: the fixture's own two re-deliveries, and five events of the first batch again in
    // the third. The ruleset's dedupe looks across runs, so each event is billed once whichever run it reaches.
    const rows = parse(fs.readFileSync(path.join(ROOT, 'fixtures/usage/cloud-api.csv')), { columns: true }) as Record<string, string>[];
    const ruleset = write(dir, 'cloud-api.yaml', fs.readFileSync(path.join(ROOT, RULESET), 'utf8')
      .replace('../../fixtures/reference/accounts.csv', path.join(ROOT, 'fixtures/reference/accounts.csv'))
      .replace('- dedupe: { name: dedupe_records, reason: conflicting_duplicate }', '- dedupe: { name: dedupe_records, reason: conflicting_duplicate, across_runs: true }'));
    const kafka = new Kafka({ brokers: [mock.bootstrap], clientId: 'test', logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const produce = (batch: Record<string, string>[]) => producer.send({ topic: 'usage', messages: batch.map((r) => ({ key: r.account_id, value: JSON.stringify(r) })) });
    const profile = write(dir, 'tally.yaml', `connections:\n  events: { type: kafka, brokers: ["${mock.bootstrap}"] }\n`);
    const state = path.join(dir, 'state.duckdb');
    const run = (n: number) => {
      const r = tally(['run', ruleset, 'kafka://events/usage', '--profile', profile, '--state', state, '--out', path.join(dir, `run-${n}`), '--json', '-q']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { counts: { rows_read: number; accepted: number; duplicates: number }; totals: Record<string, { amount: string }>; inputs: { origin?: { records?: number } }[] };
    };

    const thirds = [rows.slice(0, 20), rows.slice(20, 40), [...rows.slice(40), ...rows.slice(3, 8)]];
    const manifests: ReturnType<typeof run>[] = [];
    for (const [i, batch] of thirds.entries()) {
      await produce(batch);
      manifests.push(run(i + 1));
    }
    await producer.disconnect();
    const nothingNew = run(4);

    expect(manifests.map((m) => m.counts.rows_read)).toEqual(thirds.map((t) => t.length));
    expect(nothingNew.counts.rows_read).toBe(0);

    // One run over every event, from the local file, with a fresh state: the bill the three runs must add up to.
    const once = tally(['run', ruleset, 'fixtures/usage/cloud-api.csv', '--state', path.join(dir, 'once.duckdb'), '--out', path.join(dir, 'once'), '--json', '-q']);
    expect(once.code, once.stderr).toBe(0);
    const total = (ms: { totals: Record<string, { amount: string }> }[]) => ms.reduce((s, m) => s + BigInt((m.totals.USD?.amount ?? '0').replace('.', '')), 0n);
    expect(total(manifests)).toBe(total([JSON.parse(once.stdout)]));
    expect(total(manifests)).toBeGreaterThan(0n);
    const counted = (k: 'accepted' | 'duplicates') => manifests.reduce((n, m) => n + m.counts[k], 0);
    const onceCounts = (JSON.parse(once.stdout) as { counts: { accepted: number; duplicates: number } }).counts;
    expect(counted('accepted')).toBe(onceCounts.accepted);
    expect(manifests[2]!.counts.duplicates).toBeGreaterThanOrEqual(5);
  });

  it('a run that fails advances no offset: the next run reads the same messages again', async () => {
    const kafka = new Kafka({ brokers: [mock.bootstrap], clientId: 'test', logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const good = (id: string) => JSON.stringify({ event_id: id, ts: '2026-10-02 10:00:00', account_id: 'acct-acme', metric: 'api_request', region: 'us-east-1', quantity: '100', caller: 'web' });
    await producer.send({ topic: 'retry', messages: [{ value: good('k-1') }, { value: 'not json' }, { value: good('k-2') }] });
    await producer.disconnect();
    const profile = write(dir, 'retry.yaml', `connections:\n  events: { type: kafka, brokers: ["${mock.bootstrap}"] }\n`);
    const state = path.join(dir, 'retry.duckdb');
    const args = ['run', RULESET, 'kafka://events/retry', '--profile', profile, '--state', state, '--json', '-q'];
    const failed = tally([...args, '--out', path.join(dir, 'retry-1'), '--max-reject-rate', '0']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('rejected');
    const again = tally([...args, '--out', path.join(dir, 'retry-2')]);
    expect(again.code, again.stderr).toBe(0);
    const m = JSON.parse(again.stdout) as { counts: { rows_read: number; rejected: number; by_reason: Record<string, number> } };
    expect(m.counts.rows_read).toBe(3);
    expect(m.counts.by_reason.malformed_json).toBe(1);
    const after = tally([...args, '--out', path.join(dir, 'retry-3')]);
    expect(JSON.parse(after.stdout).counts.rows_read).toBe(0);
  });
});
