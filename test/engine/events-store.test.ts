import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/engine/duckdb/database.js';
import { estimatedEventBytes, placeEvents } from '../../src/run/events-store.js';
import { resolveInputs, type InputFile } from '../../src/io/sources/local-files.js';
import { HOST } from '../../src/io/abandoned-files.js';
import { buildEvents, EVENTS_STORE } from '../../src/run/mediate.js';
import { compileRulesetFile } from '../../src/ruleset/compile.js';
import { ROOT } from '../helpers/cli.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-events-store-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Builds S1's mediated events from these CSV rows (after its header) in a work file; the caller closes `db`. */
async function buildS1OnDisk(name: string, rows: string[]) {
  const { ruleset } = compileRulesetFile(path.join(ROOT, 'rulesets/bench/s1.yaml'));
  const csv = path.join(work, name);
  fs.writeFileSync(csv, `event_id,account_id,ts,metric,region,quantity\n${rows.join('\n')}\n`);
  const db = await Database.open({ threads: 1, tempDir: fs.mkdtempSync(path.join(work, 'spill-')) });
  try {
    await db.keepTablesOnDisk();
    return { db, built: await buildEvents(db, ruleset!, await resolveInputs([csv], ruleset!.input.format, ROOT)) };
  } catch (e) {
    db.close();
    throw e;
  }
}

function file(name: string, bytes: number, format: InputFile['format'], compression: InputFile['compression'] = 'none'): InputFile {
  const p = path.join(work, name);
  fs.writeFileSync(p, '');
  fs.truncateSync(p, bytes); // sparse: the size is what counts
  return { name, path: p, format, compression };
}

describe('where the mediated events are kept', () => {
  it('estimates the in-memory size of the typed events from the inputs', () => {
    // CSV text doubles (10 M S1 rows: 709 MB of CSV, 1.28 GB of table); compressed inputs count at 6 times.
    expect(estimatedEventBytes([file('a.csv', 1000, 'csv')])).toBe(2000);
    expect(estimatedEventBytes([file('b.csv.gz', 1000, 'csv', 'gzip')])).toBe(12000);
    expect(estimatedEventBytes([file('c.jsonl', 1000, 'jsonl')])).toBe(1000);
    expect(estimatedEventBytes([file('d.parquet', 1000, 'parquet')])).toBe(12000);
    // A file that cannot be read counts nothing here: reading it reports the problem.
    expect(estimatedEventBytes([{ name: 'gone.csv', path: path.join(work, 'gone.csv'), format: 'csv', compression: 'none' }])).toBe(0);
  });

  it('keeps tables in memory when they fit, on disk when asked or when the input exceeds the limit', async () => {
    const small = [file('small.csv', 1000, 'csv')];
    const large = [file('large.csv', 600 * 2 ** 20, 'csv')]; // 1.26 GB estimated against a 1 GB limit
    const decide = async (files: InputFile[], store: 'auto' | 'memory' | 'disk') => {
      const db = await Database.open({ memoryLimit: '1GB', threads: 1 });
      try {
        await placeEvents(db, files, store);
        // On disk, DuckDB's own memory is cut by a fifth (953.6 MiB → 762.9 MiB); in memory it is left as it was.
        expect(await db.memoryLimitBytes()).toBeCloseTo(db.tablesOnDisk ? 0.8 * 953.6 * 2 ** 20 : 953.6 * 2 ** 20, -7);
        return [db.tablesOnDisk, db.tableKind];
      } finally {
        db.close();
      }
    };
    expect(await decide(small, 'auto')).toEqual([false, 'TEMP TABLE']);
    expect(await decide(large, 'auto')).toEqual([true, 'TABLE']);
    expect(await decide(large, 'memory')).toEqual([false, 'TEMP TABLE']);
    expect(await decide(small, 'disk')).toEqual([true, 'TABLE']);
  });

  it('builds tables in a work file of the temp directory and removes it on close', async () => {
    const temp = fs.mkdtempSync(path.join(work, 'spill-'));
    const db = await Database.open({ memoryLimit: '300MB', threads: 1, tempDir: temp });
    try {
      await db.keepTablesOnDisk();
      await db.run(`CREATE ${db.tableKind} t AS SELECT range AS i, 'evt-' || range AS id FROM range(300000)`);
      // Temp objects still work beside it, and unqualified names find the work file's tables.
      await db.run(`CREATE TEMP VIEW v AS SELECT count(*) AS n, sum(i) AS s FROM t`);
      expect(await db.rows(`SELECT n, s FROM v`)).toEqual([['300000', '44999850000']]);
      expect(await db.rows(`SELECT database_name FROM duckdb_tables() WHERE table_name = 't'`)).toEqual([['__work']]);
      const files = fs.readdirSync(temp).filter((f) => f.startsWith('tally-events-'));
      expect(files.length).toBeGreaterThan(0);
      expect(fs.statSync(path.join(temp, files.find((f) => f.endsWith('.duckdb'))!)).size).toBeGreaterThan(0);
    } finally {
      db.close();
    }
    expect(fs.readdirSync(temp).filter((f) => f.startsWith('tally-events-'))).toEqual([]);
  });

  it('discards the work file once its tables are dropped, and goes on in memory', async () => {
    const temp = fs.mkdtempSync(path.join(work, 'spill-'));
    const db = await Database.open({ memoryLimit: '300MB', threads: 1, tempDir: temp });
    const workFiles = () => fs.readdirSync(temp).filter((f) => f.startsWith('tally-events-'));
    try {
      await db.keepTablesOnDisk();
      await db.run(`CREATE ${db.tableKind} t AS SELECT range AS i FROM range(300000)`);
      await db.run(`CREATE TEMP TABLE kept AS SELECT 7 AS x`);
      await db.run(`DROP TABLE t`);
      await db.discardWorkFile();
      // The removal runs in the background: wait for it (a few ms), without closing the database.
      for (let i = 0; i < 200 && workFiles().length; i++) await new Promise((r) => setTimeout(r, 10));
      expect(workFiles()).toEqual([]);
      expect(db.tablesOnDisk).toBe(true); // the manifest still says where the events were kept
      expect(db.tableKind).toBe('TEMP TABLE');
      expect(await db.rows(`SELECT x FROM kept`)).toEqual([[7]]);
      await db.run(`CREATE ${db.tableKind} u AS SELECT 1 AS y`);
      expect(await db.rows(`SELECT database_name FROM duckdb_tables() WHERE table_name = 'u'`)).toEqual([['temp']]);
      await db.discardWorkFile(); // a second call does nothing
    } finally {
      db.close();
    }
  });

  it('on disk, stores few-valued text columns as dictionaries and ids as they are', async () => {
    // DICT_FSST is the dictionary of the newer storage format the work file is made in (the default format has
    // only the older "Dictionary"), so this also shows that format is in use.
    const metrics = ['api_call', 'storage_gb_hour', 'compute_sec', 'egress_gb'];
    // Enough rows for DuckDB to write them to the file as they come (a few row groups); fewer stay in memory.
    const rows = Array.from({ length: 250_000 }, (_, i) => `e${i},acct-${i},2026-10-01 10:00:00,${metrics[i % 4]},us-east,1`);
    const { db } = await buildS1OnDisk('sampled.csv', rows);
    try {
      const storage = await db.rows(`SELECT DISTINCT column_name, compression FROM pragma_storage_info('${EVENTS_STORE}')
        WHERE segment_type = 'VARCHAR' ORDER BY 1, 2`);
      expect(storage).toEqual([
        ['__outcome', 'DICT_FSST'],
        ['account_id', 'Uncompressed'],
        ['event_id', 'Uncompressed'],
        ['metric', 'DICT_FSST'],
        ['region', 'DICT_FSST'],
      ]);
      expect(await db.rows(`SELECT count(*), count(*) FILTER (WHERE __outcome IS NULL) FROM ${EVENTS_STORE}`)).toEqual([['250000', '250000']]);
    } finally {
      db.close();
    }
  });

  it('on disk, the sample read of the first rows records no malformed record twice', async () => {
    // The whole file fits the sample, so its read ends as the main read does (a read cut short by its LIMIT records nothing).
    const { db, built } = await buildS1OnDisk('short.csv', ['e1,a1,2026-10-01 10:00:00,api_call,us-east,1', 'e2,a1,2026-10-01 10:00:00,api_call,us-east']);
    try {
      expect(await db.rows(`SELECT CAST(line AS INTEGER) FROM __malformed_0`)).toEqual([[3]]);
      expect(built.malformed.map((m) => m.line)).toEqual([3]);
    } finally {
      db.close();
    }
  });

  it("removes what killed runs left (a spill folder, a work file), never a live process's", async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // a process that has ended
    const temp = fs.mkdtempSync(path.join(work, 'spill-'));
    const leftFile = path.join(temp, `tally-events-${HOST}~${dead}-1.duckdb`);
    const liveFile = path.join(temp, `tally-events-${HOST}~${process.ppid}-1.duckdb`);
    const otherHost = path.join(temp, `tally-events-${HOST}-7~${dead}-1.duckdb`);
    for (const f of [leftFile, `${leftFile}.wal`, liveFile, otherHost]) fs.writeFileSync(f, 'x');
    const leftFolder = path.join(os.tmpdir(), `tally-spill-${HOST}~${dead}-test`);
    fs.mkdirSync(leftFolder, { recursive: true });
    fs.writeFileSync(path.join(leftFolder, 'duckdb_temp_block'), 'x');

    const own = await Database.open({ threads: 1 }); // its own spill folder in the system temp directory
    own.close();
    expect(fs.existsSync(leftFolder)).toBe(false);

    // Even a run that keeps its tables in memory clears a killed run's work file from its temp directory.
    const db = await Database.open({ threads: 1, tempDir: temp });
    try {
      expect(db.tablesOnDisk).toBe(false);
      expect(fs.existsSync(leftFile)).toBe(false);
      expect(fs.existsSync(`${leftFile}.wal`)).toBe(false);
      expect(fs.existsSync(liveFile)).toBe(true);
      expect(fs.existsSync(otherHost)).toBe(true);
    } finally {
      db.close();
    }
  });
});
