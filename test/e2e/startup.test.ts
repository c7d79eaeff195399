/**
 * `tally validate` stays light: it must not load DuckDB (or later, cloud clients) — commands import their
 * engines lazily — and it answers well within a second on this machine (the benchmark reports the exact figure).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

it('validate loads no DuckDB binding and is quick', () => {
  const script = `
    const { main } = await import(${JSON.stringify(path.join(ROOT, 'dist/cli/main.js'))});
    const t0 = performance.now();
    const code = await main(['node', 'tally', 'validate', 'rulesets/examples/cloud-api.yaml', 'rulesets/examples/ai-tokens.yaml', 'rulesets/examples/telecom-tod.yaml', 'rulesets/bench/s1.yaml']);
    const ms = performance.now() - t0;
    const libs = process.report.getReport().sharedObjects.filter((s) => /duckdb/i.test(s));
    console.log(JSON.stringify({ code, ms, libs }));`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  const wall = performance.now() - t0;
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
  expect(result.code).toBe(0);
  expect(result.libs).toEqual([]);
  // Generous bound: the suite runs files in parallel; alone it takes about 0.25 s.
  expect(wall).toBeLessThan(3000);
});
