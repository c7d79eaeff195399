/** Runs the built CLI as a user would, capturing its output and exit code. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * `tally run` keeps a state file by default (./tally-state.duckdb); tests that do not test the state pass
 * --no-state unless they name one, so no test writes a state file into the repository or shares one by accident.
 */
export function tally(args: string[], opts: { input?: string; cwd?: string } = {}): { code: number; stdout: string; stderr: string } {
  const stateless = args[0] === 'run' && !args.some((a) => a === '--state' || a === '--no-state' || a.startsWith('--state='));
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/tally.js'), ...args, ...(stateless ? ['--no-state'] : [])], { cwd: opts.cwd ?? ROOT, input: opts.input, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Folders `tempDir()` made in this test file; test/setup/temp-dirs.ts removes them after it. */
export const madeTempDirs: string[] = [];

export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-e2e-'));
  madeTempDirs.push(dir);
  return dir;
}

export function write(dir: string, name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}
