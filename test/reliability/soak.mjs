#!/usr/bin/env node
/**
 * `npm run test:reliability [-- --soak [N]] [--seed S]`: the reliability battery through vitest, then every
 * fast-check property test of the project with one recorded seed.
 * - Without --soak it is the CI size (30 random kills); `--soak` makes it the soak size (200 random kills, or N),
 *   by TALLY_SOAK_KILLS, which faults.test.ts reads.
 * - The property tests run with TALLY_FC_SEED (S, or a fresh one) and log each property's cases and seed
 *   (test/setup/fast-check.ts); `TALLY_FC_SEED=S npm test` replays them.
 * The figures land in .cache/reliability-report.json. Other arguments go to vitest.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const env = { ...process.env };
const take = (flag, fallback) => {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const value = /^\d+$/.test(args[i + 1] ?? '') ? args[i + 1] : fallback;
  args.splice(i, value === args[i + 1] ? 2 : 1);
  return value;
};
const kills = take('--soak', '200');
if (kills) env.TALLY_SOAK_KILLS = kills;
const seed = take('--seed', undefined) ?? env.TALLY_FC_SEED ?? String((Math.random() * 0x7fffffff) | 0);
const root = path.resolve(import.meta.dirname, '../..');
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
const report = path.join(root, '.cache/reliability-report.json');
const fcLog = path.join(root, '.cache/fast-check-log.jsonl');

/** Test files that use fast-check (the property tests), found by their import. */
function propertyTests(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return propertyTests(p);
    return d.name.endsWith('.test.ts') && /from 'fast-check'/.test(fs.readFileSync(p, 'utf8')) ? [path.relative(root, p)] : [];
  });
}

// A soak of 200 kill-and-recover rounds takes several minutes: no per-test timeout should cut it short.
const battery = spawnSync(process.execPath, [vitest, 'run', 'test/reliability', ...(kills ? ['--testTimeout', '0'] : []), ...args], { cwd: root, env, stdio: 'inherit' });
if (battery.status !== 0) process.exit(battery.status ?? 1);

fs.mkdirSync(path.dirname(fcLog), { recursive: true });
fs.rmSync(fcLog, { force: true });
console.log(`\nproperty tests with fast-check seed ${seed}`);
const files = propertyTests(path.join(root, 'test'));
const props = spawnSync(process.execPath, [vitest, 'run', ...files], { cwd: root, env: { ...env, TALLY_FC_SEED: seed, TALLY_FC_LOG: fcLog }, stdio: 'inherit' });
const runs = fs.existsSync(fcLog) ? fs.readFileSync(fcLog, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
const all = fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, 'utf8')) : {};
all.property_tests = {
  at: new Date().toISOString(),
  seed: Number(seed),
  replay: `TALLY_FC_SEED=${seed} npx vitest run ${files.join(' ')}`,
  properties: runs.length,
  cases: runs.reduce((n, r) => n + r.cases, 0),
  failed: runs.filter((r) => r.failed).length,
  runs,
};
fs.writeFileSync(report, `${JSON.stringify(all, null, 2)}\n`);
console.log(`${runs.length} properties, ${all.property_tests.cases} cases, ${all.property_tests.failed} failed (seed ${seed}); see ${path.relative(root, report)}`);
process.exit(props.status ?? 1);
