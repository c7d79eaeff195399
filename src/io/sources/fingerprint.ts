/**
 * Input fingerprints for the manifest: each file's sha256 and size, and a check that a gzip file is complete
 * (DuckDB reads a truncated gzip stream without complaint, which would silently lose the rows after the cut).
 *
 * The work runs in a worker thread at the lowest scheduling priority, so it only takes CPU that DuckDB and the
 * pricing leave idle instead of slowing the run down.
 */
import { Worker } from 'node:worker_threads';
import { DataError } from '../../cli/errors.js';
import type { InputFile } from './local-files.js';

export interface Fingerprint {
  sha256: string;
  bytes: number;
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const zlib = require('node:zlib');
try { os.setPriority(19); } catch {}
(async () => {
  const out = [];
  const buffer = Buffer.allocUnsafe(1 << 20);
  for (const f of workerData) {
    const h = crypto.createHash('sha256');
    let bytes = 0;
    const gunzip = f.compression === 'gzip' ? zlib.createGunzip() : null;
    const complete = gunzip ? new Promise((resolve, reject) => { gunzip.on('data', () => {}).on('end', resolve).on('error', reject); }) : null;
    // One buffer, read into again and again: a stream's fresh megabyte per chunk cost a young-generation
    // collection every ~30 MB and a page fault per 4 KB (at 100 M S1 events, 7 GB: seconds of CPU taken from
    // DuckDB). gunzip works on its own copy, as it inflates after write() returns.
    const fd = fs.openSync(f.path, 'r');
    try {
      for (;;) {
        const n = fs.readSync(fd, buffer, 0, buffer.length, null);
        if (n === 0) break;
        const chunk = buffer.subarray(0, n);
        h.update(chunk);
        bytes += n;
        if (gunzip && !gunzip.write(Buffer.from(chunk))) await new Promise((r) => gunzip.once('drain', r));
      }
    } finally {
      fs.closeSync(fd);
    }
    if (gunzip) {
      gunzip.end();
      try { await complete; } catch (e) { parentPort.postMessage({ error: { file: f.name, message: e.message } }); return; }
    }
    out.push({ sha256: h.digest('hex'), bytes });
  }
  parentPort.postMessage({ out });
})().catch((e) => parentPort.postMessage({ error: { file: '', message: String(e && e.message) } }));
`;

export function fingerprintFiles(files: InputFile[]): Promise<Fingerprint[]> {
  const result = new Promise<Fingerprint[]>((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: files.map((f) => ({ path: f.path, name: f.name, compression: f.compression })) });
    // Never the reason the process stays alive: a run that fails elsewhere exits without waiting for it.
    worker.unref();
    worker.once('message', (m: { out?: Fingerprint[]; error?: { file: string; message: string } }) => {
      void worker.terminate();
      if (m.error) reject(new DataError(`${m.error.file} is not a complete gzip file: ${m.error.message}`, 'the file may be truncated; fetch it again'));
      else resolve(m.out!);
    });
    worker.once('error', (e) => reject(e));
    worker.once('exit', (code) => reject(new Error(`the fingerprint worker stopped (exit code ${code})`)));
  });
  result.catch(() => {}); // awaited by the run; a failure there fails the run
  return result;
}
