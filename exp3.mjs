import { DuckDBInstance } from '@duckdb/node-api';
const mode = process.argv[2];
const file = process.argv[3] ?? '.cache/s1-10000000.csv';
const db = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '2.5GB' });
const c = await db.connect();
const t = async (label, sql) => { const t0 = performance.now(); const r = await c.runAndReadAll(sql); console.log(label, Math.round(performance.now() - t0), 'ms', JSON.stringify(r.getRowsJson().slice(0,2))); return r; };
let tbl = 'e';
if (mode === 'compress') { await c.run(`ATTACH ':memory:' AS mc (COMPRESS)`); tbl = 'mc.e'; }
await t('load', `CREATE TABLE ${tbl} AS SELECT 0 AS __file, NULL::BIGINT AS __line, 0::INTEGER AS __split, NULL::VARCHAR AS __outcome, event_id, account_id, TRY_CAST(ts AS TIMESTAMP) AS ts, metric, region, TRY_CAST(quantity AS DECIMAL(18,3)) AS quantity FROM read_csv('${file}', all_varchar=true)`);
await t('mem', `SELECT sum(memory_usage_bytes)/1e9 FROM duckdb_memory()`);
if (mode === 'compress') await t('checkpoint', `CHECKPOINT mc`);
await t('mem', `SELECT sum(memory_usage_bytes)/1e9 FROM duckdb_memory()`);
await t('dedupe', `UPDATE ${tbl} SET __outcome = 'D' FROM (SELECT rowid AS rid FROM (SELECT rowid, row_number() OVER (PARTITION BY event_id ORDER BY rowid) AS rk FROM ${tbl} SEMI JOIN (SELECT event_id FROM ${tbl} WHERE __outcome IS NULL GROUP BY 1 HAVING count(*) > 1) USING (event_id)) WHERE rk > 1) d WHERE ${tbl}.rowid = d.rid`);
await t('guard', `UPDATE ${tbl} SET __outcome = 'M' WHERE __outcome IS NULL AND account_id IS NULL`);
await t('storage', `SELECT account_id, date_trunc('month', ts), region, sum(quantity), max(ts) FROM ${tbl} WHERE __outcome IS NULL AND metric = 'storage_gb_hour' GROUP BY ALL`);
await t('mem', `SELECT sum(memory_usage_bytes)/1e9 FROM duckdb_memory()`);
