/**
 * One in-process DuckDB for a command. Settings come from options (memory limit, temp directory for spilling,
 * threads) with defaults from the machine. Rows are read as JSON values, so DECIMALs arrive as exact strings
 * (never `getRowsJS`, which turns them into lossy numbers).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent, quoteString } from './sql-types.js';
import { ownedName, removeAbandoned } from '../../io/abandoned-files.js';
import { textRecords } from './text-records.js';

const SPILL_PREFIX = 'tally-spill-';
const WORK_FILE_PREFIX = 'tally-events-';
/** The storage format of the work file (see keepTablesOnDisk): DuckDB's newest at the pinned version. */
const WORK_FILE_STORAGE_VERSION = 'v1.5.0';
/** Work files made by this process, so two databases of one process never share a name. */
let workFiles = 0;

/**
 * Default memory limit: 2.5 GB, or half the machine when that is less. Past it DuckDB spills to the temp
 * directory instead of growing, so DuckDB's share of a run's memory stays flat as inputs grow; give a bigger
 * limit with --memory-limit on a machine dedicated to large runs.
 */
export function defaultMemoryLimit(): string {
  const halfMb = Math.floor(os.totalmem() / 1024 ** 2 / 2);
  return `${Math.min(2560, halfMb)}MB`;
}

export interface EngineOptions {
  /** e.g. "4GB"; default `defaultMemoryLimit()`. */
  memoryLimit?: string;
  /** Where DuckDB spills when a run is larger than memory; default the system temp directory. */
  tempDir?: string;
  threads?: number;
  /**
   * Where the mediated events are kept: in memory, or in a database file in the temp directory (compressed,
   * read back through DuckDB's buffer pool). `auto` (the default) puts them on disk when the inputs are likely
   * to exceed the memory limit (see run/events-store.ts).
   */
  eventsStore?: EventsStore;
}

export type EventsStore = 'auto' | 'memory' | 'disk';

export type Row = (string | number | boolean | null)[];

export class Database {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    /** A spill folder this run made for itself (removed on close), when none was given. */
    private readonly ownTempDir: string | null,
    private readonly tempDir: string,
  ) {}

  /** The database file holding the run's large tables, once `keepTablesOnDisk` put them there. */
  private diskFile: string | null = null;
  private workFileDiscarded = false;

  static async open(opts: EngineOptions = {}): Promise<Database> {
    const memory = opts.memoryLimit ?? defaultMemoryLimit();
    // DuckDB names its spill files the same in every process: each run spills into a folder of its own.
    // Named for this process: a killed run's folder (up to its whole work file) is removed by the next run.
    if (opts.tempDir) removeAbandoned(opts.tempDir, WORK_FILE_PREFIX);
    else removeAbandoned(os.tmpdir(), SPILL_PREFIX);
    const ownTempDir = opts.tempDir ? null : fs.mkdtempSync(path.join(os.tmpdir(), ownedName(SPILL_PREFIX)));
    const instance = await DuckDBInstance.create(':memory:', {
      memory_limit: memory,
      threads: String(opts.threads ?? os.availableParallelism()),
      temp_directory: opts.tempDir ?? ownTempDir!,
    });
    const conn = await instance.connect();
    // Time zone of TIMESTAMPTZ casts: UTC, whatever the machine says.
    await conn.run(`SET TimeZone = 'UTC'`);
    return new Database(instance, conn, ownTempDir, opts.tempDir ?? ownTempDir!);
  }

  /**
   * From now on, tables made with `tableKind` live in a database file in the temp directory instead of memory.
   * Past the memory limit an in-memory table spills to temp files as it is, several times the size of its input
   * (12.8 GB for 100 M S1 events), and every later scan reads all of it back; a table in a database file is
   * written in compressed row groups as it is built and read through the buffer pool (see workTableStatements).
   */
  async keepTablesOnDisk(): Promise<void> {
    if (this.diskFile) return;
    const file = path.join(this.tempDir, `${ownedName(WORK_FILE_PREFIX)}${Date.now()}-${++workFiles}.duckdb`);
    this.diskFile = file; // before ATTACH: whatever fails after it, close() removes the file
    // The file is scratch, read only by this process, so it takes the newest storage format rather than the
    // default one older DuckDB versions can read: building S1's 10 M events in it takes 4.3 s against 4.8 s, and
    // a whole 100 M run 89-90 s against 95-96 s.
    const format = `STORAGE_VERSION ${quoteString(WORK_FILE_STORAGE_VERSION)}`;
    await this.conn.run(`ATTACH ${quoteString(file)} AS __work (${format}); USE __work`);
    // No checkpoint while the run works: the file is scratch, removed when the run ends. Plain FSST is left out: it
    // costs more time to analyse than the smaller file gives back. A dictionary (dict_fsst, the format's
    // dictionary) stays possible: workTableStatements asks for it by column.
    await this.conn.run(`SET checkpoint_threshold = '1TB'; SET disabled_compression_methods = 'fsst'`);
  }

  /**
   * The statements that create (or replace) work table `name` from `select`. In memory: a CTAS. In the work file,
   * each string column gets its compression named, so DuckDB does not analyse the others for it:
   * - a dictionary (dict_fsst) for the columns `fewValues` names (a metric, a region, the outcome): a few bits a
   *   row instead of the text, which halves the work file of S1 (writing 7 GB through the page cache costs 13 s
   *   of kernel time on this kind of machine) and makes a charge's filter on them cheaper;
   * - none for the others (ids), where a dictionary costs more than it saves (S1 at 10 M, every text column a
   *   dictionary: 6.5 s against 4.8 s).
   */
  async workTableStatements(name: string, select: string, fewValues: ReadonlySet<string>): Promise<string[]> {
    if (this.tableKind !== 'TABLE') return [`CREATE OR REPLACE ${this.tableKind} ${name} AS SELECT * FROM ${select}`];
    const described = await this.rows(`DESCRIBE SELECT * FROM ${select}`);
    const columns = described.map(([column, type]) => {
      const t = String(type);
      const compression = t === 'VARCHAR' ? ` USING COMPRESSION ${fewValues.has(String(column)) ? 'dict_fsst' : 'uncompressed'}` : '';
      return `${quoteIdent(String(column))} ${t}${compression}`;
    });
    return [`CREATE OR REPLACE TABLE ${name} (${columns.join(', ')})`, `INSERT INTO ${name} SELECT * FROM ${select}`];
  }

  /** True once `keepTablesOnDisk` moved the run's large tables to a database file (and after it is discarded). */
  get tablesOnDisk(): boolean {
    return this.diskFile !== null;
  }

  /**
   * Detaches the work file once the run has dropped its tables, and removes it while the run goes on writing its
   * outputs: at 100 M S1 events it is 4 GB, and removing 7 GB took 1.3 s of the run's end. From now on tables are
   * made in memory. close() removes the file too, in case this removal has not ended.
   */
  async discardWorkFile(): Promise<void> {
    if (!this.diskFile || this.workFileDiscarded) return;
    try {
      await this.conn.run(`USE memory; DETACH __work`);
    } catch {
      return; // an early clean-up only: the run goes on with the file attached, and close() removes it
    }
    this.workFileDiscarded = true;
    // One unlink each, sent to libuv's threads at once: fs.rm first stats the file and unlinks in its callback,
    // which waits until the run's synchronous writing lets the event loop turn, that is, until the end.
    for (const f of [this.diskFile, `${this.diskFile}.wal`]) fs.unlink(f, () => {}); // not there: close() tries again
  }

  /** How to create a table of the run's work: TEMP (memory) or, with tables on disk, a table of the work file. */
  get tableKind(): 'TEMP TABLE' | 'TABLE' {
    return this.diskFile && !this.workFileDiscarded ? 'TABLE' : 'TEMP TABLE';
  }

  /** DuckDB's memory limit in bytes (null if its text is of a form not known). */
  async memoryLimitBytes(): Promise<number | null> {
    const [[now]] = (await this.rows(`SELECT current_setting('memory_limit')`)) as [[string]];
    return parseSize(now);
  }

  async run(sql: string): Promise<void> {
    await this.conn.run(sql);
  }

  async rows(sql: string): Promise<Row[]> {
    const reader = await this.conn.runAndReadAll(sql);
    return reader.getRowsJson() as Row[];
  }

  /** Rows of a query whose columns are all VARCHAR, ordered by `orderBy`, moved as a few large texts (text-records.ts). */
  async textRows(sql: string, orderBy = 'NULL'): Promise<(string | null)[][]> {
    return [...(await this.textRecords(sql, orderBy))];
  }

  /**
   * The rows of `textRows`, split from the texts only as they are iterated (once). A caller that consumes each
   * row as it comes (pricing) then never holds them all: at 100 M events a charge has 600,000 rows of ten
   * strings, which, held until the last, were copied by every young-generation collection before dying old.
   */
  async textRecords(sql: string, orderBy = 'NULL'): Promise<IterableIterator<(string | null)[]>> {
    return textRecords(this.conn, sql, orderBy);
  }

  /** True when DuckDB had to move some of its tables to the temp directory (the run did not fit in its limit). */
  async tablesSpilled(): Promise<boolean> {
    const r = await this.rows(`SELECT coalesce(sum(temporary_storage_bytes), 0) > 0 FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'`);
    return r[0]?.[0] === true;
  }

  /** Lowers DuckDB's memory limit to `fraction` of what it is, but not below 256 MiB (never raises it). */
  async shrinkMemoryLimit(fraction: number): Promise<void> {
    const bytes = await this.memoryLimitBytes();
    if (bytes === null) return;
    const mib = Math.max(256, Math.floor((bytes * fraction) / 2 ** 20));
    if (mib * 2 ** 20 < bytes) await this.run(`SET memory_limit = '${mib}MiB'`);
  }

  async columns(sql: string): Promise<string[]> {
    const reader = await this.conn.runAndReadAll(`SELECT * FROM (${sql}) LIMIT 0`);
    return reader.columnNames();
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
    if (this.ownTempDir) fs.rmSync(this.ownTempDir, { recursive: true, force: true });
    else if (this.diskFile) for (const f of [this.diskFile, `${this.diskFile}.wal`]) fs.rmSync(f, { force: true });
  }
}

/** DuckDB's text for a size ("2.3 GiB", "500.0 MiB", "1000 bytes") in bytes; null for a form it does not know. */
export function parseSize(text: string): number | null {
  const m = /^\s*([\d.]+)\s*(bytes|B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)?\s*$/i.exec(text);
  if (!m) return null;
  const units: Record<string, number> = { bytes: 1, b: 1, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 };
  return Number(m[1]) * units[(m[2] ?? 'bytes').toLowerCase()]!;
}
