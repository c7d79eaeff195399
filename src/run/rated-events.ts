/**
 * rated-events.parquet: each metered event with the share of its line's (rounded) amount it carries.
 *
 * Allocation (the same formula as `allocateCumulative` in src/pricing): events of a line, in time order, get
 *   share_i = floor(A × W_i / W) − floor(A × W_{i−1} / W)   at `allocation_scale` places,
 * where A is the line amount, W_i the running sum of the weights and W their total. The shares telescope, so
 * they always sum to A exactly. The weight is the event's value for sum meters, its monetary amount for percentage
 * charges, and 1 otherwise (or when all weights of a line are 0). Computed with integer arithmetic on HUGEINT:
 * DuckDB's DECIMAL division would return a DOUBLE.
 */
import fs from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import type { Database } from '../engine/duckdb/database.js';
import { quoteString } from '../engine/duckdb/sql-types.js';
import type { InputFile } from '../io/sources/local-files.js';
import { chargeEventsSql } from '../plan/metering-sql.js';
import { periodBoundsSql } from '../engine/duckdb/time-sql.js';
import type { RulesetIR } from '../ruleset/ir.js';
import { INTERNAL } from '../stages/stage.js';
import type { ChargeLine } from './rate.js';

const SEP = 'chr(31)';

export async function writeRatedEvents(db: Database, ruleset: RulesetIR, lines: ChargeLine[], files: InputFile[], file: string): Promise<void> {
  const scale = ruleset.outputs.allocationScale;
  const linesCsv = `${file}.lines.csv`;
  fs.writeFileSync(linesCsv, stringify([
    ['charge', 'account', 'period_start', 'version', 'dims', 'line_id', 'amount_units'],
    ...lines.map((l) => [l.charge, l.account, l.periodStart, String(l.version), Object.values(l.dims).map((v) => v ?? '\u0000').join('\u001f'), l.lineId, l.priced.amount.times(`1e${scale}`).toFixed(0)]),
  ]));
  await db.run(`CREATE OR REPLACE TEMP TABLE __priced AS SELECT * FROM read_csv(${quoteString(linesCsv)}, header = true, auto_detect = false,
    columns = {'charge': 'VARCHAR', 'account': 'VARCHAR', 'period_start': 'VARCHAR', 'version': 'INTEGER', 'dims': 'VARCHAR', 'line_id': 'VARCHAR', 'amount_units': 'HUGEINT'})`);
  const parts = ruleset.charges.map((charge) => {
    const meter = ruleset.meters.find((m) => m.name === charge.meter)!;
    const dims = charge.dimensions.map((_, i) => `coalesce(__d${i}, chr(0))`);
    const dimKey = dims.length ? `concat_ws(${SEP}, ${dims.join(', ')})` : "''";
    const valueScale = meter.value?.type.kind === 'decimal' ? meter.value.type.scale : 0;
    const weight = charge.percentage
      ? 'CAST(CAST(__amount AS DECIMAL(38, 12)) * 1000000000000 AS HUGEINT)'
      : meter.aggregation === 'sum' ? `CAST(__value * ${10n ** BigInt(valueScale)} AS HUGEINT)` : 'CAST(1 AS HUGEINT)';
    const base = `SELECT e.${INTERNAL.file} AS f, e.${INTERNAL.line} AS line, e.${INTERNAL.split} AS part, e.__time AS event_time, e.__account AS account,
        ${periodBoundsSql('e.__local_start', meter.period, ruleset.timezone).label} AS period, ${quoteString(charge.name)} AS charge, p.line_id, p.amount_units, ${weight} AS w
      FROM (${chargeEventsSql(ruleset, meter, charge)}) AS e
      JOIN __priced AS p ON p.charge = ${quoteString(charge.name)} AND p.account = e.__account AND p.period_start = CAST(${periodBoundsSql('e.__local_start', meter.period, ruleset.timezone).start} AS VARCHAR)
        AND p.version = e.__version AND coalesce(p.dims, '') = ${dimKey}`;
    return base;
  });
  const order = 'event_time, f, line, part';
  const weighted = `SELECT *, CASE WHEN sum(w) OVER (PARTITION BY line_id) = 0 THEN CAST(1 AS HUGEINT) ELSE w END AS wt FROM (${parts.join('\nUNION ALL\n')})`;
  const cumulative = `SELECT *, sum(wt) OVER (PARTITION BY line_id ORDER BY ${order} ROWS UNBOUNDED PRECEDING) AS cum, sum(wt) OVER (PARTITION BY line_id) AS total FROM (${weighted})`;
  const shares = `SELECT f, line, part, event_time, account, period, charge, line_id,
      (amount_units * CAST(cum AS HUGEINT)) // CAST(total AS HUGEINT) - (amount_units * CAST(cum - wt AS HUGEINT)) // CAST(total AS HUGEINT) AS units
    FROM (${cumulative})`;
  const names = files.map((f, i) => `(${i}, ${quoteString(f.name)})`).join(', ');
  await db.run(`COPY (
    SELECT n.name AS file, s.line, s.part, s.event_time, s.account, s.period, s.charge, s.line_id,
      CAST(s.units AS DECIMAL(38, 0)) * CAST('${scale === 0 ? '1' : `0.${'0'.repeat(scale - 1)}1`}' AS DECIMAL(38, ${scale})) AS charge_amount
    FROM (${shares}) AS s JOIN (VALUES ${names}) AS n(i, name) ON n.i = s.f
    ORDER BY s.f, s.line, s.part, s.charge
  ) TO ${quoteString(file)} (FORMAT parquet)`);
  fs.rmSync(linesCsv);
}
