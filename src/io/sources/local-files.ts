/**
 * Local usage files: expands globs, detects each file's format and compression from its name, checks that it
 * can be read at all (a file that cannot be read fails the run before anything is written), and spools
 * standard input (`-`) to a temporary file so every reader sees a file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { InputFormat } from '../../ruleset/ir.js';
import { DataError } from '../../cli/errors.js';

export type FileFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';
export type Compression = 'none' | 'gzip' | 'zstd';

export interface InputFile {
  /** Path as given (or expanded from a glob), shown in rejects and the manifest. */
  name: string;
  /** Absolute path read. */
  path: string;
  format: FileFormat;
  compression: Compression;
  /** For a file spooled from a remote source: where it came from (the manifest records it). */
  origin?: import('./source.js').InputOrigin;
}

const GLOB = /[*?[]/;

export function detectFormat(name: string, declared: InputFormat): { format: FileFormat; compression: Compression } {
  let base = name.toLowerCase();
  let compression: Compression = 'none';
  if (base.endsWith('.gz')) [compression, base] = ['gzip', base.slice(0, -3)];
  else if (base.endsWith('.zst')) [compression, base] = ['zstd', base.slice(0, -4)];
  if (declared !== 'auto') return { format: declared, compression };
  if (base.endsWith('.parquet')) return { format: 'parquet', compression };
  if (base.endsWith('.jsonl') || base.endsWith('.ndjson') || base.endsWith('.json')) return { format: 'jsonl', compression };
  if (base.endsWith('.tsv') || base.endsWith('.tab')) return { format: 'tsv', compression };
  return { format: 'csv', compression };
}

/** Expands arguments into files (sorted within each glob), refusing missing files and empty globs. */
export async function resolveInputs(args: string[], declared: InputFormat, tempDir: string): Promise<InputFile[]> {
  const files: InputFile[] = [];
  for (const arg of args) {
    if (arg === '-') {
      const spooled = path.join(tempDir, `stdin-${files.length}${declared === 'parquet' ? '.parquet' : declared === 'jsonl' ? '.jsonl' : '.csv'}`);
      await pipeline(process.stdin, fs.createWriteStream(spooled));
      files.push({ name: '-', path: spooled, ...detectFormat(spooled, declared) });
      continue;
    }
    const matches = GLOB.test(arg) ? expandGlob(arg) : [arg];
    if (matches.length === 0) throw new DataError(`no input file matches ${arg}`, 'check the pattern, or quote it so the shell does not expand it');
    for (const m of matches) {
      const abs = path.resolve(m);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(abs);
      } catch {
        throw new DataError(`input file not found: ${m}`, 'check the path');
      }
      if (!stat.isFile()) throw new DataError(`input is not a file: ${m}`);
      const file: InputFile = { name: m, path: abs, ...detectFormat(m, declared) };
      checkReadable(file);
      files.push(file);
    }
  }
  return files;
}

/** Cheap checks of the magic numbers, so "not a Parquet file" or "not gzip" is said plainly, naming the file. */
export function checkReadable(f: InputFile): void {
  const fd = fs.openSync(f.path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(4);
    fs.readSync(fd, head, 0, 4, 0);
    if (f.compression === 'gzip' && !(head[0] === 0x1f && head[1] === 0x8b)) throw new DataError(`${f.name} is not a gzip file`, 'remove the .gz suffix or compress it');
    if (f.compression === 'zstd' && head.readUInt32LE(0) !== 0xfd2fb528) throw new DataError(`${f.name} is not a zstd file`, 'remove the .zst suffix or compress it');
    if (f.format === 'parquet' && f.compression === 'none') {
      const tail = Buffer.alloc(4);
      if (size >= 8) fs.readSync(fd, tail, 0, 4, size - 4);
      if (head.toString('latin1') !== 'PAR1' || tail.toString('latin1') !== 'PAR1') throw new DataError(`${f.name} is not a Parquet file (or it is truncated)`, 'check the file, or declare input.format');
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Minimal glob: `*`, `?` and `[...]` within path segments, `**` across directories. */
function expandGlob(pattern: string): string[] {
  const parts = pattern.split('/');
  const firstGlob = parts.findIndex((p) => GLOB.test(p));
  const root = parts.slice(0, firstGlob).join('/') || (pattern.startsWith('/') ? '/' : '.');
  const rest = parts.slice(firstGlob);
  const out: string[] = [];
  const walk = (dir: string, i: number) => {
    if (i === rest.length) return;
    const seg = rest[i]!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (seg === '**') {
      walk(dir, i + 1);
      for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name), i);
      return;
    }
    const re = new RegExp(`^${seg.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
    for (const e of entries) {
      if (!re.test(e.name)) continue;
      const p = path.join(dir, e.name);
      if (i === rest.length - 1) {
        if (e.isFile()) out.push(p);
      } else if (e.isDirectory()) walk(p, i + 1);
    }
  };
  walk(root, 0);
  return out.sort();
}
