/**
 * Snowflake table sink: `snowflake://CONNECTION/DB.SCHEMA.TABLE` loads a run's charge lines into a table, keyed by
 * line, so loading a run again (or a re-rated period) updates rows instead of adding them.
 *
 *   1. CREATE TABLE IF NOT EXISTS the target (columns below), and a TEMPORARY staging table of text columns. Both
 *      come before BEGIN: in Snowflake a DDL statement commits any open transaction, so it cannot sit inside one.
 *   2. BEGIN; the lines into the staging table by INSERTs with array binds (up to 10,000 rows and about 8 MB of
 *      values each), every value as text (money and quantities never pass through a JS number); one MERGE from
 *      the staging table into the target ON LINE_ID (matched: update every column; not matched: insert); COMMIT.
 *   3. On any failure: ROLLBACK, then the error. Nothing reaches the target unless the MERGE commits, so a failed
 *      load leaves the table as it was (if even the ROLLBACK cannot be sent, Snowflake never shows uncommitted
 *      changes, and aborts the transaction its ended session left open).
 *
 * The key: LINE_ID is the line's id, which is stable across re-runs. A late-usage line adjusts a line already
 * billed and carries that line's id, so its key is `line_id || '-' || run_id` (as the export profiles key it): the
 * adjustment is a row of its own, ADJUSTS_LINE_ID names the line it adjusts, and re-loading the same run updates it.
 *
 * Column types are fixed so one table holds every run: QUANTITY NUMBER(38, 18) and money NUMBER(38, 12) are the
 * largest scales a ruleset allows (meter scale and minor_units), so no value is ever rounded on the way in; a
 * value with more places or more integer digits is refused before connecting. AMOUNT_EXACT is text: the exact
 * amount can have any number of places. Timestamps are UTC as TIMESTAMP_NTZ; DIMENSIONS is a VARIANT object.
 *
 * The staging table is converted to those types in the MERGE (TO_NUMBER, TO_TIMESTAMP_NTZ with an explicit
 * format, PARSE_JSON), so no session setting (TIMESTAMP_INPUT_FORMAT and the like) can change how a value reads.
 */
import crypto from 'node:crypto';
import type { Connection as SfConnection, InsertBinds, RowStatement } from 'snowflake-sdk';
import { DataError, UsageError } from '../../cli/errors.js';
import { fixedText, ZERO, type Decimal } from '../../pricing/index.js';
import type { Profile } from '../profile/profile.js';
import type { ChargeLine } from '../../run/rate.js';
import { closeSession, connectionOptions, openSession, sfError } from '../snowflake/connection.js';
import { isConnectionName, splitIdentifier } from '../snowflake/identifier.js';

export interface LoadMeta {
  runId: string;
  ruleset: string;
  rulesetVersion: string;
}

/** Rows per INSERT, and the bound text per INSERT (a request may be 128 MB; staying far below keeps each one quick to retry). */
export const BATCH_ROWS = 10_000;
const BATCH_BYTES = 8 * 1024 * 1024;

const QUANTITY_SCALE = 18;
const MONEY_SCALE = 12;
const TIME_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9';

type Kind = { type: string; convert: (col: string) => string };
const TEXT: Kind = { type: 'VARCHAR', convert: (c) => c };
const TIME: Kind = { type: 'TIMESTAMP_NTZ(9)', convert: (c) => `TO_TIMESTAMP_NTZ(${c}, '${TIME_FORMAT}')` };
const JSON_OBJECT: Kind = { type: 'VARIANT', convert: (c) => `PARSE_JSON(${c})` };
const number = (precision: number, scale: number): Kind => ({ type: `NUMBER(${precision}, ${scale})`, convert: (c) => `TO_NUMBER(${c}, ${precision}, ${scale})` });
const QUANTITY = number(38, QUANTITY_SCALE);
const MONEY = number(38, MONEY_SCALE);

/** A line's values, formatted and checked once; the columns read them. */
interface Row {
  line: ChargeLine;
  key: string;
}

interface Column {
  name: string;
  kind: Kind;
  value: (r: Row, meta: LoadMeta, where: string) => string | null;
}

const money = (d: Decimal, r: Row, where: string, what: string) => numberText(d, Math.max(r.line.minorUnits, d.decimalPlaces()), MONEY_SCALE, where, what);

/** The target's columns, in table order; LOADED_AT (set by the MERGE) follows them. */
export const COLUMNS: readonly Column[] = [
  { name: 'LINE_ID', kind: TEXT, value: (r) => r.key },
  { name: 'ADJUSTS_LINE_ID', kind: TEXT, value: (r) => (r.line.late ? r.line.lineId : null) },
  { name: 'ACCOUNT', kind: TEXT, value: (r) => r.line.account },
  { name: 'PERIOD', kind: TEXT, value: (r) => r.line.period },
  { name: 'PERIOD_START', kind: TIME, value: (r, _, w) => timeText(r.line.periodStart, w, 'period start') },
  { name: 'PERIOD_END', kind: TIME, value: (r, _, w) => timeText(r.line.periodEnd, w, 'period end') },
  { name: 'CHARGE', kind: TEXT, value: (r) => r.line.charge },
  { name: 'METER', kind: TEXT, value: (r) => r.line.meter },
  { name: 'DIMENSION', kind: TEXT, value: (r) => r.line.dimensionLabel },
  { name: 'DIMENSIONS', kind: JSON_OBJECT, value: (r) => JSON.stringify(r.line.dims) },
  { name: 'PRICE_VERSION', kind: number(10, 0), value: (r) => String(r.line.version) },
  // Never fewer places than the value has: formatting must not round a quantity (as in the charges file).
  { name: 'QUANTITY', kind: QUANTITY, value: (r, _, w) => numberText(r.line.quantity, Math.max(r.line.quantityScale, r.line.quantity.decimalPlaces()), QUANTITY_SCALE, w, 'quantity') },
  { name: 'UNIT_PRICE', kind: TEXT, value: (r) => r.line.priced.unitPrice?.toFixed() ?? null },
  { name: 'TIER_REF', kind: TEXT, value: (r) => r.line.priced.tierRef },
  { name: 'AMOUNT', kind: MONEY, value: (r, _, w) => money(r.line.priced.amount, r, w, 'amount') },
  { name: 'AMOUNT_EXACT', kind: TEXT, value: (r) => r.line.priced.exact.toFixed() },
  { name: 'CURRENCY', kind: TEXT, value: (r) => r.line.currency },
  // The waterfall's breakdown (src/wallet); a run without a state file leaves all of a line as overage.
  { name: 'COVERED_BY_COMMITMENT', kind: MONEY, value: (r, _, w) => money(r.line.wallet?.coveredByCommitment ?? ZERO, r, w, 'covered_by_commitment') },
  { name: 'COVERED_BY_CREDITS', kind: MONEY, value: (r, _, w) => money(r.line.wallet?.coveredByCredits ?? ZERO, r, w, 'covered_by_credits') },
  { name: 'OVERAGE', kind: MONEY, value: (r, _, w) => money(r.line.wallet ? r.line.wallet.overage : r.line.priced.amount, r, w, 'overage') },
  { name: 'STATUS', kind: TEXT, value: (r) => (r.line.wallet?.held ? 'held' : r.line.late ? 'late' : 'billed') },
  { name: 'INCURRED_AT', kind: TIME, value: (r, _, w) => timeText(r.line.at, w, 'incurred_at') },
  { name: 'RUN_ID', kind: TEXT, value: (_, m) => m.runId },
  { name: 'RULESET', kind: TEXT, value: (_, m) => m.ruleset },
  { name: 'RULESET_VERSION', kind: TEXT, value: (_, m) => m.rulesetVersion },
];

export interface SnowflakeTable {
  connection: string;
  /** The table as written in the argument (validated). */
  table: string;
  parts: string[];
}

/** `snowflake://CONNECTION/DB.SCHEMA.TABLE` (or SCHEMA.TABLE, TABLE), refusing anything but plain names and identifiers. */
export function parseTableTarget(target: string): SnowflakeTable {
  const m = /^snowflake:\/\/([^/]*)\/(.*)$/i.exec(target);
  const connection = m?.[1] ?? '';
  const table = m?.[2] ?? '';
  const parts = splitIdentifier(table);
  if (!isConnectionName(connection) || parts === null) {
    throw new UsageError(
      'a snowflake load target is snowflake://CONNECTION/DB.SCHEMA.TABLE (or SCHEMA.TABLE, TABLE), each part a name of letters, digits, _ and $ or a double-quoted identifier',
      'CONNECTION names a connection of type snowflake in the profile; credentials go there, never in the argument',
    );
  }
  return { connection, table, parts };
}

/**
 * The statements of a load; the staging table sits in the target's database and schema. Snowflake records but does
 * not enforce PRIMARY KEY: the MERGE is what keeps LINE_ID unique. LOADED_AT is SYSDATE(), the load's UTC time.
 */
export function loadStatements(table: string, stage: string): { createTable: string; createStage: string; insert: string; merge: string } {
  const names = COLUMNS.map((c) => c.name);
  const createTable = `CREATE TABLE IF NOT EXISTS ${table} (${COLUMNS.map((c) => `${c.name} ${c.kind.type}${c.name === 'LINE_ID' ? ' NOT NULL' : ''}`).join(', ')}, LOADED_AT TIMESTAMP_NTZ(9), PRIMARY KEY (LINE_ID))`;
  const createStage = `CREATE TEMPORARY TABLE ${stage} (${names.map((n) => `${n} VARCHAR`).join(', ')})`;
  const insert = `INSERT INTO ${stage} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`;
  const source = `SELECT ${COLUMNS.map((c) => (c.kind === TEXT ? c.name : `${c.kind.convert(c.name)} AS ${c.name}`)).join(', ')} FROM ${stage}`;
  const others = names.filter((n) => n !== 'LINE_ID');
  const merge = `MERGE INTO ${table} AS T USING (${source}) AS S ON T.LINE_ID = S.LINE_ID`
    + ` WHEN MATCHED THEN UPDATE SET ${others.map((n) => `${n} = S.${n}`).join(', ')}, LOADED_AT = SYSDATE()`
    + ` WHEN NOT MATCHED THEN INSERT (${names.join(', ')}, LOADED_AT) VALUES (${names.map((n) => `S.${n}`).join(', ')}, SYSDATE())`;
  return { createTable, createStage, insert, merge };
}

/**
 * Loads the lines into the table (creating it when missing) in one transaction; returns the rows the MERGE
 * inserted or updated, as Snowflake counts them. Every line is formatted and checked before connecting.
 */
export async function loadLinesToSnowflake(target: string, lines: readonly ChargeLine[], meta: LoadMeta, profile: Profile): Promise<{ merged: number }> {
  const t = parseTableTarget(target);
  const name = `snowflake://${t.connection}/${t.table}`;
  checkLines(lines, meta, name);
  const options = connectionOptions(profile.connection(t.connection, 'snowflake'));
  // Binds are sent inline: past this many values the driver would instead upload them through a temporary stage
  // and, should that fail, silently fall back to inline binds anyway. Batches are bounded below instead.
  options.arrayBindingThreshold = Number.MAX_SAFE_INTEGER;
  if (lines.length === 0) return { merged: 0 };

  // The staging table's name is random so that it never shadows a permanent table of the same name in the schema.
  const stage = [...t.parts.slice(0, -1), `TALLY_STAGE_${crypto.randomBytes(6).toString('hex').toUpperCase()}`].join('.');
  const sql = loadStatements(t.table, stage);
  const connection = await openSession(options, name);
  try {
    const run = (what: string, sqlText: string, hint: string, binds?: InsertBinds) =>
      execute(connection, sqlText, binds).catch((e: unknown) => {
        throw sfError(name, what, e, hint, 'check the network to Snowflake and run the load again: a repeated load updates the same rows, so that is safe whether or not this one committed');
      });
    await run('creating the table failed', sql.createTable, `check that the role may create tables in the schema, and that an existing ${t.table} has tally's columns`);
    await run('creating the staging table failed', sql.createStage, 'check that the role may create tables in the schema');
    await run('starting the transaction failed', 'BEGIN', 'run the load again');
    try {
      for (const batch of batches(lines, meta, name)) {
        await run(`loading lines into the staging table failed`, sql.insert, `nothing was loaded into ${t.table}`, batch);
      }
      const merged = await run(`merging into ${t.table} failed`, sql.merge, `nothing was changed in ${t.table}; check the role's privileges on it and that its columns are tally's`);
      await run('committing failed', 'COMMIT', `nothing was changed in ${t.table}; run the load again`);
      return { merged: merged.getNumUpdatedRows() ?? 0 };
    } catch (e) {
      // Snowflake keeps a transaction open after a failed statement: end it here, not at the session's end. Bounded,
      // since on a lost network the driver may retry it for long; the transaction was not committed either way.
      await withTimeout(execute(connection, 'ROLLBACK'), ROLLBACK_WAIT_MS).catch(() => {});
      throw e;
    }
  } finally {
    await closeSession(connection);
  }
}

/**
 * Checks every line formats (numbers fit their columns, timestamps read) and keys are unique, before connecting.
 * The rows are formatted again batch by batch: keeping them all would hold a second copy of millions of lines.
 */
function checkLines(lines: readonly ChargeLine[], meta: LoadMeta, name: string): void {
  const keys = new Set<string>();
  for (const line of lines) {
    const row = rowOf(line, meta, name);
    // Snowflake refuses a MERGE whose source matches a target row twice; say which line instead.
    if (keys.has(row[0]!)) throw new DataError(`${name}: two lines have the key ${row[0]} (${line.account}, ${line.period}, ${line.charge}); nothing was loaded`);
    keys.add(row[0]!);
  }
}

function rowOf(line: ChargeLine, meta: LoadMeta, name: string): (string | null)[] {
  const r: Row = { line, key: line.late ? `${line.lineId}-${meta.runId}` : line.lineId };
  const where = `${name}: line ${line.lineId} (${line.account}, ${line.period}, ${line.charge})`;
  return COLUMNS.map((c) => c.value(r, meta, where));
}

/** The lines as rows of text, BATCH_ROWS at a time or fewer when their values pass BATCH_BYTES. */
function* batches(lines: readonly ChargeLine[], meta: LoadMeta, name: string): Generator<(string | null)[][]> {
  let batch: (string | null)[][] = [];
  let bytes = 0;
  for (const line of lines) {
    const row = rowOf(line, meta, name);
    const size = row.reduce((n, v) => n + (v === null ? 4 : v.length + 3), 0); // as JSON: quotes and a comma
    if (batch.length && (batch.length === BATCH_ROWS || bytes + size > BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(row);
    bytes += size;
  }
  if (batch.length) yield batch;
}

/** A decimal as text with `places` places (never fewer than it has), refused if a NUMBER(38, scale) column would round or overflow it. */
function numberText(d: Decimal, places: number, scale: number, where: string, what: string): string {
  const integerDigits = d.abs().trunc().toFixed().length;
  if (d.decimalPlaces() > scale || integerDigits > 38 - scale) {
    throw new DataError(`${where}: the ${what} ${d.toFixed()} does not fit NUMBER(38, ${scale}) (at most ${38 - scale} digits before the point and ${scale} after); nothing was loaded`);
  }
  return fixedText(d, places);
}

/** Canonical UTC text (`YYYY-MM-DD HH:MM:SS[.fraction]`) to the layout TIME_FORMAT reads, fraction padded to 9 places. */
function timeText(text: string, where: string, what: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z?$/.exec(text);
  if (!m) throw new DataError(`${where}: the ${what} ${JSON.stringify(text)} is not a UTC timestamp; nothing was loaded`);
  return `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(9, '0')}`;
}

const ROLLBACK_WAIT_MS = 30_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function execute(connection: SfConnection, sqlText: string, binds?: InsertBinds): Promise<RowStatement> {
  return new Promise((resolve, reject) => {
    connection.execute({
      sqlText,
      ...(binds ? { binds } : {}),
      complete: (err, stmt) => (err ? reject(err) : resolve(stmt)),
    });
  });
}
