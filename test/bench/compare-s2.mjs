#!/usr/bin/env node
// Checks that two S2 output folders hold the same charges and the same per-event allocations (row for row).
// usage: node compare-s2.mjs DIR_A DIR_B
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
const require = createRequire(path.join(process.cwd(), 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');
const [a, b] = process.argv.slice(2);
if (!fs.readFileSync(path.join(a, 'charges.csv')).equals(fs.readFileSync(path.join(b, 'charges.csv')))) {
  console.log('charges.csv differ');
  process.exit(1);
}
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const cols = 'line, part, event_time, account, period, charge, line_id, CAST(charge_amount AS VARCHAR)';
const diff = async (x, y) => Number((await c.runAndReadAll(`SELECT count(*) FROM (SELECT ${cols} FROM '${x}/rated-events.parquet' EXCEPT ALL SELECT ${cols} FROM '${y}/rated-events.parquet')`)).getRowsJson()[0][0]);
const [ab, ba] = [await diff(a, b), await diff(b, a)];
if (ab || ba) {
  console.log(`rated-events differ: ${ab} rows only in ${a}, ${ba} only in ${b}`);
  process.exit(1);
}
console.log('identical');
