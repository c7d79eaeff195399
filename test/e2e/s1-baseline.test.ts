/**
 * S1 of the reference benchmark, expressed as rulesets/bench/s1.yaml, must reproduce both baselines' charge
 * file byte for byte (real DuckDB, real generator, 100,000 events with duplicates and bad rows).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tally, tempDir } from '../helpers/cli.js';

// shared/ stands beside the project's clone (in CI and on developers' machines); TALLY_SHARED overrides.
const BENCH = [process.env.TALLY_SHARED, path.resolve(ROOT, '../shared'), '/work/shared']
  .filter((d): d is string => Boolean(d))
  .map((d) => path.join(d, 'bench'))
  .find((d) => fs.existsSync(path.join(d, 'gen-usage.mjs'))) ?? path.resolve(ROOT, '../shared/bench');

describe('S1 reference workload', () => {
  it('gives the baselines\' charges byte for byte on 100,000 events', () => {
    const dir = tempDir();
    const usage = path.join(dir, 'usage.csv');
    execFileSync(process.execPath, [path.join(BENCH, 'gen-usage.mjs'), '100000', usage], { cwd: ROOT, stdio: 'pipe' });
    execFileSync(process.execPath, [path.join(BENCH, 'baseline-duckdb.mjs'), usage, path.join(dir, 'duckdb.csv')], { cwd: ROOT, stdio: 'pipe' });
    execFileSync(process.execPath, [path.join(BENCH, 'baseline-naive.mjs'), usage, path.join(dir, 'naive.csv')], { cwd: ROOT, stdio: 'pipe' });
    const r = tally(['run', 'rulesets/bench/s1.yaml', usage, '--out', path.join(dir, 'out'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ours = fs.readFileSync(path.join(dir, 'out/charges.csv'));
    expect(ours.length).toBeGreaterThan(1000);
    expect(ours.equals(fs.readFileSync(path.join(dir, 'duckdb.csv')))).toBe(true);
    expect(ours.equals(fs.readFileSync(path.join(dir, 'naive.csv')))).toBe(true);

    const manifest = JSON.parse(r.stdout);
    const c = manifest.counts;
    expect(c.rows_read).toBe(100_100);
    expect(c.accepted + c.rejected + c.duplicates + c.filtered).toBe(c.rows_read);
    expect(c.duplicates).toBe(100);
    // The same reasons the hand-written baseline counts.
    expect(c.by_reason).toEqual({ invalid_quantity: 2, invalid_timestamp: 2, missing_account: 4, negative_quantity: 10, unknown_metric: 2 });
    const rejects = fs.readFileSync(path.join(dir, 'out/rejects.csv'), 'utf8').trim().split('\n');
    expect(rejects).toHaveLength(1 + 20);

    // The events kept in a work file on disk (what a run larger than memory does) give the same files, with the
    // same reject lines, and the work file is gone afterwards (examples.test.ts covers a split).
    const spill = path.join(dir, 'spill');
    fs.mkdirSync(spill);
    const d = tally(['run', 'rulesets/bench/s1.yaml', usage, '--out', path.join(dir, 'disk'), '--events-store', 'disk', '--temp-dir', spill, '--quiet']);
    expect(d.stderr).toBe('');
    expect(d.code).toBe(0);
    for (const f of ['charges.csv', 'rejects.csv']) expect(fs.readFileSync(path.join(dir, 'disk', f)).equals(fs.readFileSync(path.join(dir, 'out', f)))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'disk/manifest.json'), 'utf8')).events_store).toBe('disk');
    expect(manifest.events_store).toBeUndefined(); // 100,000 events fit in memory: auto keeps them there
    expect(fs.readdirSync(spill)).toEqual([]);
  });
});
