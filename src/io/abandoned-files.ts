/**
 * Scratch files and folders named for the process that made them (`PREFIX<host>~<pid>-…`): a process killed
 * before it cleans up leaves them behind, and the next process that looks in the same folder removes those
 * whose process is gone. The host in the name keeps a folder shared between machines safe: only this host's
 * dead processes' files are removed. The `~` cannot occur in the cleaned host name, so host `node` never reads
 * `node-7~12-…` (host `node-7`) as its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

/** This machine's name as it goes into scratch names (letters, digits, dots and dashes only). */
export const HOST = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host';

/** The start of this process's scratch names under `prefix`. */
export function ownedName(prefix: string): string {
  return `${prefix}${HOST}~${process.pid}-`;
}

/** Removes the entries of `dir` named `prefix<this host>~<pid>-…` whose process no longer runs. */
export function removeAbandoned(dir: string, prefix: string): void {
  const mine = `${prefix}${HOST}~`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return; // nothing to clean where nothing can be read
  }
  for (const name of names) {
    if (!name.startsWith(mine)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(mine.length))?.[1]);
    if (pid && pid !== process.pid && !running(pid)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}
