#!/usr/bin/env node
/**
 * `npm run test:reliability [-- --soak [N]]`: the reliability battery through vitest. Without --soak it is the
 * CI size (30 random kills); `--soak` makes it the soak size (200 random kills, or N), by TALLY_SOAK_KILLS,
 * which faults.test.ts reads. The figures land in .cache/reliability-report.json. Other arguments go to vitest.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const args = process.argv.slice(2);
const env = { ...process.env };
const i = args.indexOf('--soak');
if (i >= 0) {
  const n = /^\d+$/.test(args[i + 1] ?? '') ? args[i + 1] : '200';
  args.splice(i, n === args[i + 1] ? 2 : 1);
  env.TALLY_SOAK_KILLS = n;
}
const root = path.resolve(import.meta.dirname, '../..');
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
// A soak of 200 kill-and-recover rounds takes several minutes: no per-test timeout should cut it short.
const r = spawnSync(process.execPath, [vitest, 'run', 'test/reliability', ...(env.TALLY_SOAK_KILLS ? ['--testTimeout', '0'] : []), ...args], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
