import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/engine/duckdb/database.js';

describe('Database.textRows', () => {
  let db: Database;
  beforeAll(async () => {
    db = await Database.open({ threads: 1, memoryLimit: '256MB' });
  });
  afterAll(() => db.close());

  it('returns text rows in order, with NULLs and empty strings kept apart', async () => {
    const rows = await db.textRows(`SELECT * FROM (VALUES ('b', NULL), ('a', ''), ('c', 'x,y "z"')) AS t(k, v)`, 'k');
    expect(rows).toEqual([['a', ''], ['b', null], ['c', 'x,y "z"']]);
  });

  it('falls back to JSON when a value holds a separator character, losing nothing', async () => {
    const odd = ['\u001f', '\u001e', '\u0000', 'a\u001fb\u001ec'];
    const values = odd.map((v, i) => `(${i}, ${v.split('').map((ch) => `chr(${ch.charCodeAt(0)})`).join(' || ')})`).join(', ');
    const rows = await db.textRows(`SELECT CAST(i AS VARCHAR) AS i, v FROM (VALUES ${values}) AS t(i, v)`, 'i');
    expect(rows).toEqual(odd.map((v, i) => [String(i), v]));
  });

  it('moves more than one chunk of 100,000 rows, in order', async () => {
    const rows = await db.textRows(`SELECT CAST(range AS VARCHAR) AS n FROM range(250000)`, 'CAST(n AS INTEGER)');
    expect(rows).toHaveLength(250000);
    expect(rows[0]).toEqual(['0']);
    expect(rows[249999]).toEqual(['249999']);
    expect(rows.every((r, i) => r[0] === String(i))).toBe(true);
  });

  it('gives the same rows one at a time (textRecords), empty fields and trailing empty records included', async () => {
    const sql = `SELECT * FROM (VALUES ('a', ''), ('b', NULL), ('', '')) AS t(k, v)`;
    const records = await db.textRecords(sql, 'k');
    const iterator = records[Symbol.iterator]();
    expect(iterator.next().value).toEqual(['', '']); // '' sorts first: the chunk's text starts with a separator
    expect([...{ [Symbol.iterator]: () => iterator }]).toEqual([['a', ''], ['b', null]]);
    // Last, the empty key makes the text end with the record '\x1f': an empty record after it, not a lost one.
    expect([...(await db.textRecords(sql, 'k DESC'))]).toEqual([['b', null], ['a', ''], ['', '']]);
    // One column: the last record is empty, so the text ends with the record separator itself.
    expect([...(await db.textRecords(`SELECT * FROM (VALUES ('x'), ('')) AS t(v)`, 'v DESC'))]).toEqual([['x'], ['']]);
  });

  it('returns nothing for an empty result', async () => {
    expect(await db.textRows(`SELECT 'a' AS x WHERE false`)).toEqual([]);
  });
});
