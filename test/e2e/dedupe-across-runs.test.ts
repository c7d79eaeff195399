/**
 * Dedupe across runs (`dedupe: { across_runs: true }` with a state file): an event delivered again in a later
 * run's file is a duplicate, or a conflict when its fields changed, instead of a second charge. Two runs over
 * overlapping files bill what one run over their union bills; a repeated run stays idempotent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { ROOT, tally, tempDir, write } from '../helpers/cli.js';

type Manifest = {
  run_id?: string;
  state?: { run_id: string };
  counts: { rows_read: number; accepted: number; rejected: number; duplicates: number; by_reason: Record<string, number> };
  totals: Record<string, { amount: string }>;
};

const source = fs.readFileSync(path.join(ROOT, 'rulesets/examples/cloud-api.yaml'), 'utf8').replace('../../fixtures/reference/accounts.csv', path.join(ROOT, 'fixtures/reference/accounts.csv'));
const withDedupe = (options: string) => source.replace('- dedupe: { name: dedupe_records, reason: conflicting_duplicate }', `- dedupe: { name: dedupe_records, reason: conflicting_duplicate${options} }`);
const header = fs.readFileSync(path.join(ROOT, 'fixtures/usage/cloud-api.csv'), 'utf8').split('\n')[0]!;
const lines = fs.readFileSync(path.join(ROOT, 'fixtures/usage/cloud-api.csv'), 'utf8').trim().split('\n').slice(1);
const csv = (rows: string[]) => `${header}\n${rows.join('\n')}\n`;
const cents = (m: Manifest) => BigInt((m.totals.USD?.amount ?? '0').replace('.', ''));

let dir: string;
let ruleset: string;
let fileA: string;
let fileB: string;
/**
 * Rows 31 to 40 of the fixture are in both files. B also carries the fixture's own re-deliveries at its end
 * (evt-0005 unchanged; evt-0014 with another quantity) and evt-0007 with another quantity.
 */
const changed = () => lines.find((l) => l.startsWith('evt-0007,'))!.split(',').map((v, i) => (i === 5 ? `${v}1` : v)).join(',');

beforeAll(() => {
  dir = tempDir();
  ruleset = write(dir, 'cloud-api.yaml', withDedupe(', across_runs: true'));
  fileA = write(dir, 'a.csv', csv(lines.slice(0, 40)));
  fileB = write(dir, 'b.csv', csv([...lines.slice(30), changed()]));
});

const run = (args: string[]) => {
  const r = tally(['run', ...args, '--json', '-q']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Manifest;
};

describe('dedupe across runs', () => {
  it('a later run drops re-delivered events and rejects changed ones, naming the run that rated them first; both runs bill what one run over the union bills', async () => {
    const state = path.join(dir, 'state.duckdb');
    const a = run([ruleset, fileA, '--state', state, '--out', path.join(dir, 'a')]);
    const b = run([ruleset, fileB, '--state', state, '--out', path.join(dir, 'b')]);
    // The same B rated alone: what B would have counted without the keys A left in the state.
    const alone = run([ruleset, fileB, '--state', path.join(dir, 'alone.duckdb'), '--out', path.join(dir, 'alone')]);
    expect(b.counts.rows_read).toBe(lines.length - 30 + 1);
    // Every event B alone accepts but B after A does not is a cross-run duplicate or one of the two conflicts.
    expect(b.counts.duplicates).toBeGreaterThan(alone.counts.duplicates);
    expect(alone.counts.accepted - b.counts.accepted).toBe(b.counts.duplicates - alone.counts.duplicates + 2);
    expect((b.counts.by_reason.conflicting_duplicate ?? 0) - (alone.counts.by_reason.conflicting_duplicate ?? 0)).toBe(2);
    const rejects = parse(fs.readFileSync(path.join(dir, 'b/rejects.csv')), { columns: true }) as Record<string, string>[];
    const conflicts = rejects.filter((r) => r.detail === `first rated by run ${a.state!.run_id}`);
    // evt-0014 (line 28 of b.csv) and evt-0007 (its last line, 29), each at its line, with the stage and reason.
    expect(conflicts.map((r) => [r.line, r.stage, r.reason])).toEqual([['28', 'dedupe_records', 'conflicting_duplicate'], ['29', 'dedupe_records', 'conflicting_duplicate']]);

    const union = write(dir, 'union.csv', csv([...lines, changed()]));
    const once = run([ruleset, union, '--state', path.join(dir, 'once.duckdb'), '--out', path.join(dir, 'once')]);
    expect(cents(a) + cents(b)).toBe(cents(once));
    expect(cents(once)).toBeGreaterThan(0n);
    // Every row of both files is accounted for: accepted once over the two runs as in the union.
    expect(a.counts.accepted + b.counts.accepted).toBe(once.counts.accepted);

    // Without across_runs the overlap is billed twice: the check above is not vacuous.
    const plain = write(dir, 'plain.yaml', source);
    const state2 = path.join(dir, 'plain.duckdb');
    const pa = run([plain, fileA, '--state', state2, '--out', path.join(dir, 'pa')]);
    const pb = run([plain, fileB, '--state', state2, '--out', path.join(dir, 'pb')]);
    expect(pa.counts.accepted + pb.counts.accepted).toBeGreaterThan(once.counts.accepted);
  });

  it('a repeated run is not a duplicate of itself: same counts, byte-identical outputs, nothing added to the state', async () => {
    const state = path.join(dir, 'repeat.duckdb');
    run([ruleset, fileA, '--state', state, '--out', path.join(dir, 'r1')]);
    const first = run([ruleset, fileB, '--state', state, '--out', path.join(dir, 'r2')]);
    const keys = await seenKeys(state);
    const again = run([ruleset, fileB, '--state', state, '--out', path.join(dir, 'r3')]);
    expect(again.counts).toEqual(first.counts);
    for (const f of ['charges.csv', 'rejects.csv']) expect(fs.readFileSync(path.join(dir, 'r3', f), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'r2', f), 'utf8'));
    expect(await seenKeys(state)).toEqual(keys);
  });

  it('without a state file nothing is remembered: each run dedupes within itself', () => {
    const b = run([ruleset, fileB, '--no-state', '--out', path.join(dir, 'nostate')]);
    const alone = JSON.parse(fs.readFileSync(path.join(dir, 'alone/manifest.json'), 'utf8')) as { counts: Manifest['counts'] };
    expect(b.counts.duplicates).toBe(alone.counts.duplicates);
  });

  it('a failed run remembers no key: the next run of the same file rates its events', () => {
    const state = path.join(dir, 'failed.duckdb');
    const r = tally(['run', ruleset, fileA, '--state', state, '--out', path.join(dir, 'f1'), '--max-reject-rate', '0', '-q']);
    expect(r.code).toBe(1);
    const ok = run([ruleset, fileA, '--state', state, '--out', path.join(dir, 'f2')]);
    const fresh = run([ruleset, fileA, '--no-state', '--out', path.join(dir, 'f3')]);
    expect(ok.counts).toEqual(fresh.counts);
  });

  it('lookback_days keeps only the keys of the last days of event time', async () => {
    const bounded = write(dir, 'bounded.yaml', withDedupe(', across_runs: true, lookback_days: 2'));
    const state = path.join(dir, 'bounded.duckdb');
    run([bounded, fileA, '--state', state, '--out', path.join(dir, 'k1')]);
    const kept = await seenKeys(state, true);
    const times = kept.map((k) => k.at).sort();
    const newest = Date.parse(`${times.at(-1)}Z`);
    expect(kept.length).toBeGreaterThan(0);
    expect(times.every((t) => newest - Date.parse(`${t}Z`) <= 2 * 86_400_000)).toBe(true);
    // The fixture spans more than two days, so keys were dropped.
    const all = await seenKeys(path.join(dir, 'repeat.duckdb'));
    expect(kept.length).toBeLessThan(all.length);
  });

  it('with a split, and a filter after it that drops a part, a record is remembered when any part is billed', () => {
    // Each request splits into request, input and output parts; the filter drops the request part (part 0).
    const ai = fs.readFileSync(path.join(ROOT, 'rulesets/examples/ai-tokens.yaml'), 'utf8')
      .replace('- dedupe: { name: dedupe_requests, reason: conflicting_duplicate }', '- dedupe: { name: dedupe_requests, reason: conflicting_duplicate, across_runs: true }')
      .replace('        - { values: { token_kind: output }, set: { quantity: "output_tokens" } }\n', (line) => `${line}\n  - filter: { name: no_request_part, keep: 'token_kind != "request"' }\n`);
    expect(ai).toContain('no_request_part');
    const rs = write(dir, 'ai-tokens.yaml', ai);
    const rows = fs.readFileSync(path.join(ROOT, 'fixtures/usage/ai-tokens.csv'), 'utf8').trim().split('\n');
    const first = write(dir, 'ai-a.csv', `${rows.slice(0, 21).join('\n')}\n`);
    const second = write(dir, 'ai-b.csv', `${[rows[0], ...rows.slice(11)].join('\n')}\n`);
    const union = write(dir, 'ai-all.csv', `${rows.join('\n')}\n`);
    const state = path.join(dir, 'ai.duckdb');
    const a = run([rs, first, '--state', state, '--out', path.join(dir, 'ai-a')]);
    const b = run([rs, second, '--state', state, '--out', path.join(dir, 'ai-b')]);
    const once = run([rs, union, '--state', path.join(dir, 'ai-once.duckdb'), '--out', path.join(dir, 'ai-once')]);
    const alone = run([rs, second, '--state', path.join(dir, 'ai-alone.duckdb'), '--out', path.join(dir, 'ai-alone')]);
    expect(b.counts.duplicates).toBeGreaterThan(alone.counts.duplicates); // the ten overlapping requests
    expect(cents(a) + cents(b)).toBe(cents(once));
  });

  it('explain says so, and lookback_days without across_runs is a ruleset error at its line', () => {
    const e = tally(['explain', ruleset]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toContain('also against the keys earlier runs accepted');
    const bad = write(dir, 'bad.yaml', withDedupe(', lookback_days: 30'));
    const v = tally(['validate', bad]);
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(/bad\.yaml:\d+:\d+.*lookback_days bounds the keys kept across runs/s);
    const twice = write(dir, 'twice.yaml', withDedupe(', across_runs: true').replace("- dedupe: { name: dedupe_records", "- dedupe: { name: first_dedupe, across_runs: true }\n  - dedupe: { name: dedupe_records"));
    const t = tally(['validate', twice]);
    expect(t.code).toBe(3);
    expect(t.stderr).toContain('only one dedupe stage can look across runs');
  });
});

/** The keys the state remembers (sorted), read with DuckDB directly. */
async function seenKeys(state: string, withTimes = false): Promise<{ key: string; at: string }[]> {
  const copy = path.join(tempDir(), 'copy.duckdb');
  fs.copyFileSync(state, copy);
  const db = await DuckDBInstance.create(copy);
  const c = await db.connect();
  const rows = (await c.runAndReadAll(`SELECT event_key, strftime(event_at, '%Y-%m-%dT%H:%M:%S') FROM seen_events ORDER BY 1, 2`)).getRows();
  c.closeSync();
  db.closeSync();
  return rows.map(([k, at]) => ({ key: String(k), at: withTimes ? String(at) : '' }));
}
