/**
 * Outputs land whole or not at all: files are written into a hidden staging folder inside the output folder,
 * and renamed into place only when everything is written (rename within one file system is atomic).
 *
 * A set of files cannot be renamed in one step, so `manifest.json` is the completion marker, as _SUCCESS is
 * for Hadoop jobs: the previous run's manifest is removed before the first rename and the new one is renamed
 * last. An output folder without a manifest holds no complete run; one with a manifest holds exactly the run
 * it describes. A process killed mid-way leaves its staging folder behind; the next one to open the output
 * folder removes staging folders whose process is gone. Their names carry the host and the process id, so a
 * folder shared between machines or containers is only cleaned by the host that made each staging folder.
 * Files are flushed to disk before the renames, so after a power loss a manifest never stands beside a
 * partly written file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataError } from '../../cli/errors.js';
import { faultPoint } from '../../run/fault-points.js';
import { ownedName, removeAbandoned } from '../abandoned-files.js';

const STAGING_PREFIX = '.tally-tmp-';
export const MANIFEST = 'manifest.json';

export class OutputDir {
  readonly staging: string;
  private readonly names: string[] = [];

  constructor(readonly dir: string) {
    try {
      if (fs.existsSync(dir)) {
        if (!fs.statSync(dir).isDirectory()) throw new DataError(`the output ${dir} exists and is not a folder`, 'give --out a folder');
        removeAbandoned(dir, STAGING_PREFIX);
      } else if (fs.existsSync(path.dirname(path.resolve(dir)))) {
        fs.mkdirSync(dir); // not recursive when the parent exists: recursive mkdir can spin on special file systems
      } else {
        fs.mkdirSync(dir, { recursive: true });
      }
      this.staging = fs.mkdtempSync(path.join(dir, ownedName(STAGING_PREFIX)));
    } catch (e) {
      if (e instanceof DataError) throw e;
      throw new DataError(`cannot write to the output folder ${dir}: ${(e as Error).message}`, 'check that the folder can be created and written');
    }
  }

  /** Path to write `name` to; it appears in the output folder on `commit`. */
  file(name: string): string {
    this.names.push(name);
    return path.join(this.staging, name);
  }

  /** Moves the staged files into the output folder, the manifest last (see the file comment). */
  commit(): string[] {
    const withManifest = this.names.includes(MANIFEST);
    const order = withManifest ? [...this.names.filter((n) => n !== MANIFEST), MANIFEST] : this.names;
    for (const n of order) syncFile(path.join(this.staging, n));
    if (withManifest) {
      fs.rmSync(path.join(this.dir, MANIFEST), { force: true });
      syncFolder(this.dir);
    }
    const done = order.map((n, i) => {
      if (i === 1) faultPoint('output:mid-rename');
      fs.renameSync(path.join(this.staging, n), path.join(this.dir, n));
      return path.join(this.dir, n);
    });
    syncFolder(this.dir);
    this.discard();
    return done;
  }

  discard(): void {
    fs.rmSync(this.staging, { recursive: true, force: true });
  }
}

function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The renames reach the disk before the run reports success (a no-op where folders cannot be opened). */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a folder; the renames are still atomic, only their durability waits.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
