/**
 * Enrichment: per-company values an export needs but a charge line does not carry (a NetSuite subscription
 * line, a Sage Intacct contract id, a Salesforce order product). A CSV file with a header, one row per account,
 * or per account and charge when the join names a charge column:
 *
 *   account,charge,subscription_line,item
 *   acme,api_calls,SUBLINE-1001,API-CALLS
 *   acme,,SUBLINE-1000,PLATFORM        # empty charge: every other charge of acme
 *
 * A row with an empty charge applies to the account's charges that have no row of their own. Two rows for the
 * same key are an error (which one would win is not obvious). A line with no row, or a row with an empty cell
 * for a column the profile needs, fails the whole export (render.ts lists the accounts), unless the profile
 * marks that column optional: a partial import is worse than none, since the target would bill some
 * customers and silently skip others.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { DataError } from '../../cli/errors.js';

export interface EnrichmentTable {
  file: string;
  /** The table's columns holding the account and (optionally) the charge. */
  join: { account: string; charge?: string };
  columns: string[];
  rows: Map<string, { values: Record<string, string>; line: number }>;
}

const rowKey = (account: string, charge: string) => `${account}\u241f${charge}`;

/** Reads an enrichment CSV file. */
export function loadEnrichment(file: string, join: { account: string; charge?: string }): EnrichmentTable {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(`cannot read the enrichment file ${file}: ${(e as Error).message}`, 'check the path given for the enrichment table');
  }
  return parseEnrichment(text, file, join);
}

/** Parses enrichment CSV text; `file` names it in messages. */
export function parseEnrichment(text: string, file: string, join: { account: string; charge?: string }): EnrichmentTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, skip_empty_lines: true, bom: true, trim: true }) as unknown as typeof records;
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new DataError(`${file}${err.lines ? `:${err.lines}` : ''}: not a valid CSV file: ${err.message}`, 'the enrichment table is a CSV file with a header row, one row per account');
  }
  const [header, ...body] = records;
  if (!header) throw new DataError(`${file}: the enrichment file is empty`, `give it a header row with a "${join.account}" column and one row per account`);
  const columns = header.record;
  for (const [what, name] of [['account', join.account], ['charge', join.charge]] as const) {
    if (name !== undefined && !columns.includes(name)) {
      throw new DataError(`${file}:1: the enrichment file has no "${name}" column to join the ${what} on (its columns: ${columns.join(', ')})`,
        `add a "${name}" column, or set the profile's enrichment ${what} column to one of the file's columns`);
    }
  }
  const rows: EnrichmentTable['rows'] = new Map();
  for (const { record, info } of body) {
    const values = Object.fromEntries(columns.map((c, i) => [c, record[i] ?? '']));
    const account = values[join.account]!;
    if (account === '') throw new DataError(`${file}:${info.lines}: the row has no ${join.account}`, 'give every row the account it belongs to');
    const k = rowKey(account, join.charge ? values[join.charge]! : '');
    const seen = rows.get(k);
    if (seen) {
      throw new DataError(`${file}:${info.lines}: a second row for account ${account}${join.charge ? ` and charge "${values[join.charge]}"` : ''} (the first is on line ${seen.line})`,
        'keep one row per account (and charge); delete or merge the other');
    }
    rows.set(k, { values, line: info.lines });
  }
  return { file, join, columns, rows };
}

/** The row for a line: its account and charge, else the account's row for every charge. */
export function lookupEnrichment(table: EnrichmentTable, account: string, charge: string): Record<string, string> | undefined {
  return (table.join.charge ? table.rows.get(rowKey(account, charge)) : undefined)?.values ?? table.rows.get(rowKey(account, ''))?.values;
}
