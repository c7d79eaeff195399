#!/usr/bin/env node
// Scenario S2 written by hand as DuckDB SQL: S1 plus the per-event file (each event with its share of its line's
// rounded amount), the reference `tally run --rated-events` is compared with. Written as well as we can: typed
// rows materialized once, one aggregation, one window pass for the allocation, integer arithmetic for exactness.
// The allocation is tally's documented one: share_i = floor(A·W_i/W) − floor(A·W_{i−1}/W) at 6 places, weights =
// quantities, events in (time, line) order; line ids are sha256 of the line's keys joined by U+001F, as tally computes them.
// usage: node baseline-s2-duckdb.mjs USAGE.csv OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
const require = createRequire(path.join(process.cwd(), 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const [inp, outDir] = process.argv.slice(2);
fs.mkdirSync(outDir, { recursive: true });
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const cents = (x) => `(CASE WHEN (${x})*100 - floor((${x})*100) > 0.5 THEN floor((${x})*100) + 1
  WHEN (${x})*100 - floor((${x})*100) < 0.5 THEN floor((${x})*100)
  WHEN floor((${x})*100) % 2 = 0 THEN floor((${x})*100) ELSE floor((${x})*100) + 1 END)::DECIMAL(38,0) * 0.01`;
await c.run(`CREATE TEMP TABLE usage AS
  SELECT row_number() OVER () + 1 AS line, *, try_cast(quantity AS DECIMAL(18,3)) AS q, try_strptime(ts, '%Y-%m-%d %H:%M:%S') AS t
  FROM read_csv('${inp}', header = true, all_varchar = true)`);
await c.run(`CREATE TEMP TABLE valid AS
  SELECT DISTINCT ON (event_id) line, account_id, t, metric, q,
    CASE metric WHEN 'api_call' THEN 'all'
      WHEN 'compute_sec' THEN CASE WHEN isodow(t) <= 5 AND hour(t) >= 8 AND hour(t) < 20 THEN 'peak' ELSE 'offpeak' END
      ELSE region END AS dimension
  FROM usage
  WHERE q IS NOT NULL AND q >= 0 AND coalesce(account_id, '') <> '' AND t IS NOT NULL
    AND metric IN ('api_call','storage_gb_hour','compute_sec','egress_gb')
  ORDER BY event_id, line`);
await c.run(`CREATE TEMP TABLE lines AS
  WITH l AS (SELECT account_id, date_trunc('month', t) AS pstart, strftime(t, '%Y-%m') AS period, metric, dimension, sum(q) AS quantity FROM valid GROUP BY ALL),
  totals AS (SELECT *, sum(quantity) OVER (PARTITION BY account_id, period, metric) AS total FROM l),
  priced AS (
    SELECT *, CASE metric
      WHEN 'api_call' THEN least(total, 1000) * 0.0100 + greatest(least(total, 5000) - 1000, 0) * 0.0080 + greatest(total - 5000, 0) * 0.0050
      WHEN 'storage_gb_hour' THEN quantity * CASE dimension WHEN 'us-east' THEN 0.0300 WHEN 'eu-west' THEN 0.0350 ELSE 0.0400 END
      WHEN 'compute_sec' THEN quantity * CASE dimension WHEN 'peak' THEN 0.0020 ELSE 0.0012 END
      ELSE quantity * CASE WHEN total <= 2000 THEN 0.090 WHEN total <= 6000 THEN 0.085 ELSE 0.070 END
                    * CASE dimension WHEN 'ap-south' THEN 1.20 ELSE 1.00 END END AS exact FROM totals)
  SELECT *, ${cents('exact')}::DECIMAL(38,2) AS amount,
    substr(sha256(CASE WHEN metric = 'api_call'
      THEN concat_ws(chr(31), 's1', account_id, strftime(pstart, '%Y-%m-%d %H:%M:%S'), metric, '0')
      ELSE concat_ws(chr(31), 's1', account_id, strftime(pstart, '%Y-%m-%d %H:%M:%S'), metric, '0', dimension) END), 1, 24) AS line_id
  FROM priced`);
await c.run(`COPY (SELECT account_id, period, metric, dimension, quantity::DECIMAL(38,3) AS quantity, amount FROM lines ORDER BY account_id, period, metric, dimension) TO '${outDir}/charges.csv' (HEADER)`);
await c.run(`COPY (
  WITH e AS (
    SELECT v.line, v.t, v.account_id, l.period, v.metric, l.line_id, CAST(l.amount * 1000000 AS HUGEINT) AS a, CAST(v.q * 1000 AS HUGEINT) AS w
    FROM valid v JOIN lines l ON l.account_id = v.account_id AND l.period = strftime(v.t, '%Y-%m') AND l.metric = v.metric AND l.dimension = v.dimension),
  c AS (SELECT *, sum(w) OVER (PARTITION BY line_id ORDER BY t, line ROWS UNBOUNDED PRECEDING) AS cum, sum(w) OVER (PARTITION BY line_id) AS total FROM e),
  s AS (SELECT *, CASE WHEN total = 0 THEN NULL ELSE (a * CAST(cum AS HUGEINT)) // CAST(total AS HUGEINT) - (a * CAST(cum - w AS HUGEINT)) // CAST(total AS HUGEINT) END AS units FROM c)
  SELECT '${inp}' AS file, line, 0 AS part, t AS event_time, account_id AS account, period, metric AS charge, line_id,
    CAST(units AS DECIMAL(38, 0)) * CAST('0.000001' AS DECIMAL(38, 6)) AS charge_amount
  FROM s ORDER BY line, charge
) TO '${outDir}/rated-events.parquet' (FORMAT parquet)`);
