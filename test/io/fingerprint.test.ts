/**
 * Input fingerprints (the manifest's sha256 and size, and the gzip completeness check), computed in a worker
 * thread that reads each file through one reused buffer. Files larger than the buffer, ending in a partial
 * read, must hash exactly as the whole file does.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/cli/errors.js';
import { fingerprintFiles } from '../../src/io/sources/fingerprint.js';
import type { InputFile } from '../../src/io/sources/local-files.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-fingerprint-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Buffer, compression: InputFile['compression'] = 'none'): InputFile {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return { name, path: p, format: 'csv', compression };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('fingerprintFiles', () => {
  it('hashes files larger than its buffer, an empty file and a small one, in order', async () => {
    const big = randomBytes((5 << 20) / 2 + 12_345); // two whole megabytes and a partial read
    const small = Buffer.from('event_id,account_id\n1,a\n');
    const got = await fingerprintFiles([file('big.csv', big), file('empty.csv', Buffer.alloc(0)), file('small.csv', small)]);
    expect(got).toEqual([
      { sha256: sha256(big), bytes: big.length },
      { sha256: sha256(Buffer.alloc(0)), bytes: 0 },
      { sha256: sha256(small), bytes: small.length },
    ]);
  });

  it('accepts a complete gzip file larger than its buffer and refuses a truncated one', async () => {
    const text = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `e${i},acct-${i % 97},${randomBytes(4).toString('hex')}\n`).join(''));
    const gz = zlib.gzipSync(text);
    expect(gz.length).toBeGreaterThan(1 << 20);
    const [whole] = await fingerprintFiles([file('whole.csv.gz', gz, 'gzip')]);
    expect(whole).toEqual({ sha256: sha256(gz), bytes: gz.length });
    const cut = fingerprintFiles([file('cut.csv.gz', gz.subarray(0, gz.length - 1000), 'gzip')]);
    await expect(cut).rejects.toBeInstanceOf(DataError);
    await expect(cut).rejects.toThrow(/cut\.csv\.gz is not a complete gzip file/);
  });
});
