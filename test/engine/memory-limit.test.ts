import { describe, expect, it } from 'vitest';
import { Database, parseSize } from '../../src/engine/duckdb/database.js';

describe('DuckDB memory limit', () => {
  it("reads DuckDB's size texts", () => {
    expect(parseSize('2.3 GiB')).toBeCloseTo(2.3 * 2 ** 30);
    expect(parseSize('953.6 MiB')).toBeCloseTo(953.6 * 2 ** 20);
    expect(parseSize('1000 bytes')).toBe(1000);
    expect(parseSize('4GB')).toBe(4e9);
    expect(parseSize('lots')).toBeNull();
  });

  it('knows when a table spilled to the temp directory, and gives back part of its limit', async () => {
    const db = await Database.open({ memoryLimit: '300MB', threads: 1 });
    try {
      await db.run(`CREATE TEMP TABLE small AS SELECT range AS i FROM range(1000)`);
      expect(await db.tablesSpilled()).toBe(false);
      // About 400 MB of text against a 300 MB limit: DuckDB must move some of it to disk.
      await db.run(`CREATE TEMP TABLE big AS SELECT range AS i, repeat('x', 250) || range AS t FROM range(1600000)`);
      expect(await db.tablesSpilled()).toBe(true);
      // Half of 286 MiB, but never below 256 MiB (a smaller limit fails ordinary aggregations), nor above what it was.
      await db.shrinkMemoryLimit(0.5);
      expect(await db.rows(`SELECT current_setting('memory_limit')`)).toEqual([['256.0 MiB']]);
      await db.shrinkMemoryLimit(0.5);
      expect(await db.rows(`SELECT current_setting('memory_limit')`)).toEqual([['256.0 MiB']]);
      expect(await db.rows(`SELECT count(*), max(length(t)) FROM big`)).toEqual([['1600000', '257']]);
    } finally {
      db.close();
    }
  });
});
