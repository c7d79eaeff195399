/**
 * Dedupe finds repeated keys by a 64-bit hash, then ranks candidates by the exact key. A hash shared by
 * different keys must only make rows candidates: forcing every hash to collide (0 × hash) must give the same
 * outcomes as the real SQL. Real DuckDB.
 */
import { describe, expect, it } from 'vitest';
import { Database } from '../../src/engine/duckdb/database.js';
import { stageSqlContext } from '../../src/plan/mediation-sql.js';
import { dedupeStage, type DedupeBody } from '../../src/stages/dedupe.js';

const ROWS = [
  // id, account, qty, key part (NULL for a row without the whole key)
  ['e1', 'a', '5', 'r1'],
  ['e2', 'a', '5', 'r1'], // same (account, req) as e1, other fields differ: a conflict
  ['e3', 'b', '5', 'r1'],
  ['e4', 'a', '7', null], // no req: never a duplicate
  ['e4', 'a', '7', null],
  ['e5', 'c', '1', 'r2'],
  ['e5', 'c', '1', 'r2'], // exact copy of the row before: a duplicate
];

async function outcomes(body: DedupeBody, collide: boolean): Promise<(string | null)[]> {
  const db = await Database.open({ threads: 1 });
  try {
    const values = ROWS.map(([id, account, qty, req], i) => `(0, ${i + 2}, 0, NULL, '${id}', '${account}', '${qty}', ${req === null ? 'NULL' : `'${req}'`})`);
    await db.run(`CREATE TEMP TABLE t (__file INTEGER, __line BIGINT, __split INTEGER, __outcome VARCHAR, id VARCHAR, account VARCHAR, qty VARCHAR, req VARCHAR)`);
    await db.run(`INSERT INTO t VALUES ${values.join(', ')}`);
    let sql = dedupeStage.toUpdateSql!(body, 't', stageSqlContext(['id', 'account', 'qty', 'req'], 'dedupe'));
    // Only the key's hash (the sort that finds repeats, and the join), not the payload's.
    if (collide) sql = sql.replace('SELECT hash(', 'SELECT 0 * hash(').replace('ON hash(', 'ON 0 * hash(');
    expect(sql.split('0 * hash(').length - 1).toBe(collide ? 2 : 0);
    await db.run(sql);
    return (await db.rows(`SELECT __outcome FROM t ORDER BY __line`)).map(([o]) => (o === null ? null : String(o).split('\u001f').slice(0, 3).join('/')));
  } finally {
    db.close();
  }
}

describe('dedupe by hash, then by exact key', () => {
  const body: DedupeBody = { key: ['account', 'req'], reason: 'conflicting_duplicate', acrossRuns: false, lookbackDays: null };
  it('gives the same outcomes when every hash collides', async () => {
    const real = await outcomes(body, false);
    expect(real).toEqual([null, 'R/dedupe/conflicting_duplicate', null, null, null, null, 'D/dedupe/duplicate']);
    expect(await outcomes(body, true)).toEqual(real);
  });
  it('on the event id too, where rows without an id are left alone', async () => {
    const byId: DedupeBody = { ...body, key: ['req'] };
    const real = await outcomes(byId, false);
    // r1: e1 first, e2 and e3 later (e2 differs from e1: conflict; e3 too); r2: e5's copy is a duplicate.
    expect(real).toEqual([null, 'R/dedupe/conflicting_duplicate', 'R/dedupe/conflicting_duplicate', null, null, null, 'D/dedupe/duplicate']);
    expect(await outcomes(byId, true)).toEqual(real);
  });
});
