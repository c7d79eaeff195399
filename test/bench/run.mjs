#!/usr/bin/env node
// Benchmark harness (issue 3): generates the S1 usage file once, then runs, in turn and in the same invocation,
// `tally run` on the S1 ruleset, the hand-written DuckDB baseline and the naive Node baseline (on a tenth of the
// events, scaled), several rounds each; prints events per second, ratios and peak RSS, and fails loudly when the
// charge files differ. S2 adds the per-event output, against test/bench/baseline-s2-duckdb.mjs.
//
// usage: npm run bench -- [--events N] [--rounds R] [--skip-naive] [--s2] [--scaling [--scaling-baseline]]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const flag = (name) => args.includes(`--${name}`);
const EVENTS = Number(opt('events', '10000000'));
const ROUNDS = Number(opt('rounds', '3'));
const SHARED = [process.env.TALLY_SHARED, path.resolve(ROOT, '../shared'), '/work/shared'].filter(Boolean).find((d) => fs.existsSync(path.join(d, 'bench/gen-usage.mjs')));
if (!SHARED) throw new Error('cannot find shared/bench beside the project (set TALLY_SHARED)');
const BENCH = path.join(SHARED, 'bench');
const CACHE = path.join(ROOT, '.cache');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-bench-'));
fs.mkdirSync(CACHE, { recursive: true });

function usageFile(n) {
  const file = path.join(CACHE, `s1-${n}.csv`);
  if (!fs.existsSync(file)) {
    console.error(`generating ${file} …`);
    const r = spawnSync(process.execPath, [path.join(BENCH, 'gen-usage.mjs'), String(n), `${file}.tmp`], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('generator failed');
    fs.renameSync(`${file}.tmp`, file);
  }
  return file;
}

/** Runs a command under /usr/bin/time -v; returns wall seconds and peak RSS in MB. */
function measure(cmd, argv) {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...argv], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed:\n${r.stderr}`);
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024;
  return { seconds, rssMb: rss };
}

function best(runs) {
  return { seconds: Math.min(...runs.map((r) => r.seconds)), rssMb: Math.max(...runs.map((r) => r.rssMb)) };
}

function rounds(n, fn) {
  return Array.from({ length: n }, fn);
}

const sameBytes = (a, b) => fs.readFileSync(a).equals(fs.readFileSync(b));

function s1() {
  const usage = usageFile(EVENTS);
  const rows = EVENTS + Math.floor(EVENTS / 1000);
  const out = (name) => path.join(WORK, name);
  const tally = best(rounds(ROUNDS, () => measure(process.execPath, ['bin/tally.js', 'run', 'rulesets/bench/s1.yaml', usage, '--out', out('tally'), '--quiet', '--no-state'])));
  // The same run keeping a state file (a fresh one each round): the cost of recording the run and its lines.
  const withState = best(rounds(ROUNDS, () => {
    fs.rmSync(out('state.duckdb'), { force: true });
    fs.rmSync(out('state.duckdb.wal'), { force: true });
    return measure(process.execPath, ['bin/tally.js', 'run', 'rulesets/bench/s1.yaml', usage, '--out', out('tally-state'), '--quiet', '--state', out('state.duckdb')]);
  }));
  const duck = best(rounds(ROUNDS, () => measure(process.execPath, [path.join(BENCH, 'baseline-duckdb.mjs'), usage, out('duckdb.csv')])));
  const results = [
    { name: 'tally run', ...tally, eps: rows / tally.seconds },
    { name: 'tally run, with a state file', ...withState, eps: rows / withState.seconds },
    { name: 'hand-written DuckDB', ...duck, eps: rows / duck.seconds },
  ];
  if (!sameBytes(out('tally/charges.csv'), out('duckdb.csv'))) throw new Error('FAIL: tally and the DuckDB baseline wrote different charge files');
  if (!flag('skip-naive')) {
    const small = usageFile(Math.floor(EVENTS / 10));
    const naive = best(rounds(Math.min(ROUNDS, 2), () => measure(process.execPath, [path.join(BENCH, 'baseline-naive.mjs'), small, out('naive.csv')])));
    const smallRows = Math.floor(EVENTS / 10) + Math.floor(EVENTS / 10000);
    measure(process.execPath, ['bin/tally.js', 'run', 'rulesets/bench/s1.yaml', small, '--out', out('tally-small'), '--quiet', '--no-state']);
    if (!sameBytes(out('tally-small/charges.csv'), out('naive.csv'))) throw new Error('FAIL: tally and the naive baseline wrote different charge files');
    results.push({ name: 'naive Node (1/10 events, scaled)', ...naive, eps: smallRows / naive.seconds });
  }
  report(`S1, ${EVENTS.toLocaleString('en')} events, best of ${ROUNDS}`, results);
  return results;
}

function s2() {
  const usage = usageFile(EVENTS);
  const rows = EVENTS + Math.floor(EVENTS / 1000);
  const out = (name) => path.join(WORK, name);
  const tally = best(rounds(ROUNDS, () => measure(process.execPath, ['bin/tally.js', 'run', 'rulesets/bench/s1.yaml', usage, '--out', out('tally-s2'), '--quiet', '--rated-events', '--no-state'])));
  const duck = best(rounds(ROUNDS, () => measure(process.execPath, [path.join(ROOT, 'test/bench/baseline-s2-duckdb.mjs'), usage, out('s2-duckdb')])));
  const check = spawnSync(process.execPath, [path.join(ROOT, 'test/bench/compare-s2.mjs'), out('tally-s2'), out('s2-duckdb')], { cwd: ROOT, encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`FAIL: S2 outputs differ:\n${check.stdout}${check.stderr}`);
  report(`S2 (per-event output), ${EVENTS.toLocaleString('en')} events, best of ${ROUNDS}`, [
    { name: 'tally run --rated-events', ...tally, eps: rows / tally.seconds },
    { name: 'hand-written DuckDB (S2)', ...duck, eps: rows / duck.seconds },
  ]);
}

function report(title, results) {
  const [ours, ...others] = results;
  console.log(`\n${title}`);
  console.log('| run | seconds | events/s | peak RSS (MB) | tally / this |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    const ratio = r === ours ? '' : `${(ours.eps / r.eps).toFixed(2)} ×`;
    console.log(`| ${r.name} | ${r.seconds.toFixed(2)} | ${Math.round(r.eps).toLocaleString('en')} | ${Math.round(r.rssMb)} | ${ratio} |`);
  }
  void others;
}

function scaling() {
  const big = usageFile(EVENTS * 10);
  const small = usageFile(EVENTS);
  // Best of --rounds at each size, as for S1: one run alone also measures whether its input was still in the
  // page cache (a cold 10 M file adds about 1.5 s to an 8 s run here).
  const tally = (input, name, extra = []) => best(rounds(ROUNDS, () => measure(process.execPath, ['bin/tally.js', 'run', 'rulesets/bench/s1.yaml', input, '--out', path.join(WORK, name), '--quiet', '--no-state', ...extra])));
  const smallRun = tally(small, 'scale-small');
  const bigRun = tally(big, 'scale-big');
  console.log(`\nScaling (best of ${ROUNDS}): ${EVENTS.toLocaleString('en')} events ${smallRun.seconds.toFixed(1)} s, ${Math.round(smallRun.rssMb)} MB; ${(EVENTS * 10).toLocaleString('en')} events ${bigRun.seconds.toFixed(1)} s, ${Math.round(bigRun.rssMb)} MB; time ratio ${(bigRun.seconds / smallRun.seconds).toFixed(2)} (≤ 11 wanted)`);
  // Like for like: the small size with its events on disk, as the large one keeps them, tells how much of the
  // ratio is the run growing with the input and how much the switch from memory to disk.
  const smallOnDisk = tally(small, 'scale-small-disk', ['--events-store', 'disk']);
  console.log(`Same store: ${EVENTS.toLocaleString('en')} events on disk ${smallOnDisk.seconds.toFixed(1)} s, ${Math.round(smallOnDisk.rssMb)} MB; time ratio ${(bigRun.seconds / smallOnDisk.seconds).toFixed(2)}`);
  if (!flag('scaling-baseline')) return;
  // The hand-written DuckDB query at both sizes, for how the engine itself scales on this machine (it takes no
  // memory limit: about 20 GB at 100 M events), and the same charges at the larger size.
  const baseline = (input, name) => measure(process.execPath, [path.join(BENCH, 'baseline-duckdb.mjs'), input, path.join(WORK, name)]);
  const baseSmall = baseline(small, 'base-small.csv');
  const baseBig = baseline(big, 'base-big.csv');
  console.log(`Hand-written DuckDB: ${baseSmall.seconds.toFixed(1)} s, ${Math.round(baseSmall.rssMb)} MB; ${baseBig.seconds.toFixed(1)} s, ${Math.round(baseBig.rssMb)} MB; time ratio ${(baseBig.seconds / baseSmall.seconds).toFixed(2)}`);
  if (!sameBytes(path.join(WORK, 'scale-big', 'charges.csv'), path.join(WORK, 'base-big.csv'))) {
    throw new Error(`the charge files at ${(EVENTS * 10).toLocaleString('en')} events differ (tally against the hand-written baseline)`);
  }
  console.log(`Charges at ${(EVENTS * 10).toLocaleString('en')} events: identical to the hand-written baseline's`);
}

try {
  if (flag('scaling')) scaling();
  else {
    s1();
    if (flag('s2')) s2();
  }
} finally {
  fs.rmSync(WORK, { recursive: true, force: true });
}
