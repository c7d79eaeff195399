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
  for (const f of workerData) {
    const h = crypto.createHash('sha256');
    let bytes = 0;
    const gunzip = f.compression === 'gzip' ? zlib.createGunzip() : null;
    const complete = gunzip ? new Promise((resolve, reject) => { gunzip.on('data', () => {}).on('end', resolve).on('error', reject); }) : null;
    for await (const chunk of fs.createReadStream(f.path, { highWaterMark: 1 << 20 })) {
      h.update(chunk);
      bytes += chunk.length;
      if (gunzip && !gunzip.write(chunk)) await new Promise((r) => gunzip.once('drain', r));
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
