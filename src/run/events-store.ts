/**
 * Where a run keeps its mediated events: in DuckDB's memory when they fit, else in a database file in the temp
 * directory (Database.keepTablesOnDisk). An in-memory table larger than the memory limit spills to temp files
 * uncompressed and is read back whole by every later step (dedupe, each charge); a disk table is written in
 * compressed row groups as it is built. At 100 M S1 events that turns the table's 12.8 GB of spill into a 4 GB
 * file, and dedupe and the charge scans stop growing faster than the input. Below the limit memory is faster
 * (building the 10 M table takes 3.3 s in memory, 4.3 s on disk), so `auto` decides from the inputs' size.
 */
import fs from 'node:fs';
import type { Database, EventsStore } from '../engine/duckdb/database.js';
import type { InputFile } from '../io/sources/local-files.js';

/**
 * Bytes the typed events of these files take in an in-memory table, roughly: a CSV's 10 M S1 rows (709 MB) take
 * 1.28 GB. Compressed files and Parquet are counted at a typical compression ratio: the point is only to tell
 * inputs that fit from inputs several times too large.
 */
export function estimatedEventBytes(files: readonly InputFile[]): number {
  let total = 0;
  for (const f of files) {
    let bytes: number;
    try {
      bytes = fs.statSync(f.path).size;
    } catch {
      continue; // reading it will say what is wrong
    }
    const expanded = f.compression !== 'none' || f.format === 'parquet' ? bytes * 6 : bytes;
    total += f.format === 'jsonl' ? expanded : expanded * 2;
  }
  return total;
}

/** Moves the run's tables to disk when asked, or (auto) when the events would not fit DuckDB's memory limit. */
export async function placeEvents(db: Database, files: readonly InputFile[], store: EventsStore = 'auto'): Promise<void> {
  if (store === 'memory') return;
  if (store === 'auto') {
    const limit = await db.memoryLimitBytes();
    if (limit === null || estimatedEventBytes(files) <= limit) return;
  }
  await db.keepTablesOnDisk();
  // DuckDB goes past its limit by up to a gigabyte while the 100 M-key dedupe aggregate spills; with the events on
  // disk its buffer pool mostly caches file blocks, so a fifth less of it keeps the peak under 4 GB at no cost.
  await db.shrinkMemoryLimit(0.8);
}

/**
 * After mediation, DuckDB gives back most of its share when the events are on disk or spilled there: rating reads
 * them from there either way, while the priced lines JavaScript holds grow with the input, so the two together
 * stay within about its limit (at 100 M S1 events: 3.3–3.9 GB peak instead of 6 GB, at the same speed). A work
 * file is read through the OS's cache, so its scans need less of DuckDB's own memory than temp files do. A run
 * that fits keeps the whole limit.
 */
export async function memoryForRating(db: Database): Promise<void> {
  if (db.tablesOnDisk) await db.shrinkMemoryLimit(0.25);
  else if (await db.tablesSpilled()) await db.shrinkMemoryLimit(0.4);
}
