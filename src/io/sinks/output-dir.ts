/**
 * Outputs land whole or not at all: files are written into a hidden temporary folder inside the output
 * folder, and renamed into place only when everything is written (rename within one file system is atomic).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataError } from '../../cli/errors.js';

export class OutputDir {
  readonly staging: string;
  private readonly names: string[] = [];

  constructor(readonly dir: string) {
    try {
      if (fs.existsSync(dir)) {
        if (!fs.statSync(dir).isDirectory()) throw new DataError(`the output ${dir} exists and is not a folder`, 'give --out a folder');
      } else if (fs.existsSync(path.dirname(path.resolve(dir)))) {
        fs.mkdirSync(dir); // not recursive when the parent exists: recursive mkdir can spin on special file systems
      } else {
        fs.mkdirSync(dir, { recursive: true });
      }
      this.staging = fs.mkdtempSync(path.join(dir, '.tally-tmp-'));
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

  commit(): string[] {
    const done = this.names.map((n) => {
      fs.renameSync(path.join(this.staging, n), path.join(this.dir, n));
      return path.join(this.dir, n);
    });
    this.discard();
    return done;
  }

  discard(): void {
    fs.rmSync(this.staging, { recursive: true, force: true });
  }
}
