/** The charges file: one row per line, columns chosen by the ruleset, as CSV, JSONL or Parquet. */
import fs from 'node:fs';
import { csvRecord } from './csv-record.js';
import type { Database } from '../../engine/duckdb/database.js';
import { castDecimal, quoteString } from '../../engine/duckdb/sql-types.js';
import type { OutputColumn, OutputColumnSource, RulesetIR } from '../../ruleset/ir.js';
import type { ChargeLine } from '../../run/rate.js';
import { fixedText, ZERO } from '../../pricing/index.js';

export type ChargesFormat = 'csv' | 'jsonl' | 'parquet';

function cell(line: ChargeLine, source: OutputColumnSource, ruleset: RulesetIR): string {
  const p = line.priced;
  switch (source) {
    case 'line_id':
      return line.lineId;
    case 'account':
      return line.account;
    case 'period':
      return line.period;
    case 'period_start':
      return line.periodStart;
    case 'period_end':
      return line.periodEnd;
    case 'charge':
      return line.charge;
    case 'meter':
      return line.meter;
    case 'dimension':
      return line.dimensionLabel === '' ? ruleset.outputs.charges.emptyDimension : line.dimensionLabel;
    case 'dimensions':
      return Object.entries(line.dims).map(([k, v]) => `${k}=${v ?? ''}`).join(';');
    case 'quantity':
      // Never fewer places than the value has: formatting must not round a quantity.
      return fixedText(line.quantity, Math.max(line.quantityScale, line.quantity.decimalPlaces()));
    case 'unit_price':
      return p.unitPrice ? p.unitPrice.toFixed() : '';
    case 'tier_ref':
      return p.tierRef;
    case 'amount_exact':
      return p.exact.toFixed();
    case 'amount':
      return fixedText(p.amount, line.minorUnits);
    case 'currency':
      return line.currency;
    case 'ruleset':
      return ruleset.name;
    case 'ruleset_version':
      return ruleset.version;
    case 'price_version':
      return String(line.version);
    // The waterfall's breakdown (src/wallet); a run without a state file leaves all of a line as overage.
    case 'covered_by_commitment':
      return fixedText(line.wallet?.coveredByCommitment ?? ZERO, line.minorUnits);
    case 'covered_by_credits':
      return fixedText(line.wallet?.coveredByCredits ?? ZERO, line.minorUnits);
    case 'overage':
      return fixedText(line.wallet ? line.wallet.overage : p.amount, line.minorUnits);
    case 'status':
      return line.wallet?.held ? 'held' : line.late ? 'late' : 'billed';
    case 'incurred_at':
      return line.at;
  }
}

export function chargeRows(lines: ChargeLine[], ruleset: RulesetIR, columns: OutputColumn[] = ruleset.outputs.charges.columns): string[][] {
  return lines.map((l) => columns.map((c) => cell(l, c.source, ruleset)));
}

/** Lines are formatted and written this many at a time, so memory does not grow with a second copy of them all. */
const CHUNK = 20_000;

/** Writes the lines as CSV (with header) or JSONL, chunk by chunk. */
function writeText(file: string, format: 'csv' | 'jsonl', lines: ChargeLine[], ruleset: RulesetIR): void {
  const columns = ruleset.outputs.charges.columns;
  const fd = fs.openSync(file, 'w');
  try {
    if (format === 'csv') fs.writeSync(fd, csvRecord(columns.map((c) => c.name)));
    for (let i = 0; i < lines.length; i += CHUNK) {
      const rows = chargeRows(lines.slice(i, i + CHUNK), ruleset);
      const text = format === 'csv'
        ? rows.map(csvRecord).join('')
        : rows.map((r) => `${JSON.stringify(Object.fromEntries(columns.map((c, j) => [c.name, r[j]])))}\n`).join('');
      fs.writeSync(fd, text);
    }
  } finally {
    fs.closeSync(fd);
  }
}

export async function writeCharges(file: string, format: ChargesFormat, lines: ChargeLine[], ruleset: RulesetIR, db: Database): Promise<void> {
  if (format !== 'parquet') return writeText(file, format, lines, ruleset);
  // Through DuckDB: amounts and quantities as exact DECIMAL columns (text in, never a float).
  const columns = ruleset.outputs.charges.columns;
  const csv = `${file}.csv`;
  writeText(csv, 'csv', lines, ruleset);
  const widest = (f: (l: ChargeLine) => number) => lines.reduce((m, l) => Math.max(m, f(l)), 0);
  const money = new Set<OutputColumnSource>(['amount', 'covered_by_commitment', 'covered_by_credits', 'overage']);
  const scaleOf = (source: OutputColumnSource) => (money.has(source) ? widest((l) => l.minorUnits) : source === 'quantity' ? widest((l) => l.quantityScale) : 0);
  const select = columns.map((c) => (money.has(c.source) || c.source === 'quantity'
    ? `${castDecimal(`"${c.name}"`, 38, scaleOf(c.source))} AS "${c.name}"`
    : `"${c.name}"`));
  await db.run(`COPY (SELECT ${select.join(', ')} FROM read_csv(${quoteString(csv)}, header = true, all_varchar = true, auto_detect = false,
    columns = {${columns.map((c) => `${quoteString(c.name)}: 'VARCHAR'`).join(', ')}})) TO ${quoteString(file)} (FORMAT parquet)`);
  fs.rmSync(csv);
}
