/**
 * Runs the event path in DuckDB: files → typed rows → mediation stages → the table of mediated events
 * (`__events`), where every input row has exactly one outcome: live (accepted), rejected, filtered or duplicate.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import type { Database, Row } from '../engine/duckdb/database.js';
import { quoteString } from '../engine/duckdb/sql-types.js';
import type { InputFile } from '../io/sources/local-files.js';
import { DataError } from '../cli/errors.js';
import type { RulesetIR } from '../ruleset/ir.js';
import { INTERNAL, outcomeSelect, outcomeUpdate, outcomesUpdate, STATUS, type StageOutcome, type StageSqlContext } from '../stages/stage.js';
import { getStage } from '../stages/registry.js';
import { fieldsAfterStage, ident, INTERNAL_COLUMNS, malformedTable, outcomeColumns, sourceSql, stageSql, stageSqlContext, typingSql } from '../plan/mediation-sql.js';
import { EVENTS_TABLE, matrixGuardCondition } from '../plan/metering-sql.js';
import { enrichDuplicateKeysSql, type EnrichBody } from '../stages/enrich.js';
import { crossRunUpdateSql, runKeysSql, type DedupeBody } from '../stages/dedupe.js';

export interface MalformedRow {
  file: number;
  line: number;
  reason: string;
  detail: string;
}

/** The SQL statements of mediation, also shown by `tally explain --sql`. */
export interface MediationSql {
  statements: string[];
}

/** Reads a file's column names (CSV header or Parquet schema); JSONL needs none. */
export async function fileColumns(db: Database, file: InputFile, ruleset: RulesetIR): Promise<string[]> {
  const { csv } = ruleset.input;
  if (file.format === 'jsonl') return [];
  if (file.format === 'parquet') return db.columns(`SELECT * FROM read_parquet(${quoteString(file.path)})`);
  if (!csv.header) return ruleset.input.fields.map((f) => f.column);
  // The header is read as one raw line and parsed here: DuckDB's sniffer gives up on files whose later
  // rows are malformed, and those rows must become rejects, not a failed run.
  const headerSql = (lenient: boolean) => `SELECT line FROM read_csv(${quoteString(file.path)}, header = false, columns = {'line': 'VARCHAR'}, delim = E'\\x01',
      quote = '', escape = '', auto_detect = false,${lenient ? ' ignore_errors = true,' : ''} compression = ${quoteString(file.compression)}) LIMIT 1`;
  const unreadable = (e: unknown) => new DataError(`cannot read ${file.name}: ${firstLine(e)}`, 'check that the file is complete and its compression matches its name');
  let first: Row[];
  try {
    first = await db.rows(headerSql(false));
  } catch (e) {
    // DuckDB checks a whole buffer, not just the first line: a later record it cannot take (invalid UTF-8, a line
    // over its maximum size) fails this read too. Such a record is the main read's to set aside as a reject, so
    // only an error on the header line itself (or one without a line) fails the run.
    const at = /on Line: (\d+)/.exec(firstLine(e))?.[1];
    if (at === undefined || at === '1') throw unreadable(e);
    try {
      first = await db.rows(headerSql(true));
    } catch (e2) {
      throw unreadable(e2);
    }
  }
  const line = String(first[0]?.[0] ?? '').replace(/^\uFEFF/, '');
  if (!line) throw new DataError(`${file.name} is empty: it has no header line`, 'a CSV input needs a header naming its columns (or set input.csv.header: false)');
  try {
    const [names] = parseCsv(line, { delimiter: file.format === 'tsv' ? '\t' : csv.delimiter, quote: csv.quote, escape: csv.escape, relax_column_count: true }) as string[][];
    return (names ?? []).map((n) => n.trim());
  } catch (e) {
    throw new DataError(`${file.name}: cannot read its header line: ${firstLine(e)}`, 'the first line must name the columns');
  }
}

/** Keys earlier runs accepted (event_key, payload_md5, txn_id), and this run's keys (see dedupe `across_runs`). */
export const SEEN_EVENTS = '__seen_events';
export const RUN_KEYS = '__run_keys';

/** The physical table of mediated events; `__events` is a view over it with lines and outcomes decoded. */
export const EVENTS_STORE = '__events_t';

/**
 * Rows of the first CSV or Parquet input read to tell the string columns with few values (a metric, a region)
 * from ids: a column is "few-valued" when the sample has at least FEW_VALUES_RATIO rows per distinct value.
 */
const SAMPLE_ROWS = 100_000;
const FEW_VALUES_RATIO = 100;

export interface BuiltEvents extends MediationSql {
  malformed: MalformedRow[];
}

/**
 * Builds the mediated events. The chain streams until a stage needs its input materialized (dedupe, split) or
 * until the end; after a materialization, stages that only decide outcomes run as UPDATEs of the rows they hit,
 * so a ruleset like S1 copies its rows once. CSV rows get their line numbers from the first materialized table,
 * whose row ids follow the files (DuckDB keeps insertion order), which keeps the reading parallel.
 *
 * A dedupe `across_runs` also checks the keys earlier runs accepted when `seenEvents` (the table SEEN_EVENTS
 * holds them, loaded from the state file), and leaves this run's keys in RUN_KEYS for the run to record.
 */
export async function buildEvents(db: Database, ruleset: RulesetIR, files: InputFile[], explainOnly = false, seenEvents = explainOnly): Promise<BuiltEvents> {
  const statements: string[] = [];
  const exec = async (sql: string) => {
    statements.push(sql);
    if (!explainOnly) await db.run(sql);
  };

  // Sources: one SELECT per file, all as text columns named by the ruleset's fields.
  const parts: string[] = [];
  let sample: string | null = null; // the first rows of the first CSV or Parquet input (see fewValued)
  for (const [i, f] of files.entries()) {
    const columns = explainOnly ? ruleset.input.fields.map((fd) => fd.column) : await fileColumns(db, f, ruleset);
    if (f.format !== 'jsonl') {
      const missing = ruleset.input.fields.filter((fd) => !columns.includes(fd.column)).map((fd) => fd.column);
      if (missing.length) {
        throw new DataError(`${f.name} has no column ${missing.map((m) => `"${m}"`).join(', ')} (it has ${columns.join(', ')})`, 'check the file, or map its columns with input.fields.<name>.column');
      }
    }
    parts.push(sourceSql(f, i, ruleset, columns));
    // JSONL numbers its lines with a window over the whole file: no cheap first rows to sample.
    if (f.format !== 'jsonl' && sample === null) sample = `SELECT * FROM (${sourceSql(f, i, ruleset, columns, { sample: true })}) LIMIT ${SAMPLE_ROWS}`;
  }
  const source = `CREATE OR REPLACE TEMP VIEW __source AS\n${parts.join('\nUNION ALL\n')}`;
  await exec(source);
  /** String columns of `relation` with few values in the first rows of the input (see Database.workTableStatements). */
  const fewValued = async (rel: string): Promise<Set<string>> => {
    if (!db.tablesOnDisk || sample === null) return new Set();
    await db.run(`CREATE OR REPLACE TEMP VIEW __source AS ${sample}`);
    try {
      const strings = (await db.rows(`DESCRIBE SELECT * FROM ${rel}`)).filter(([, type]) => type === 'VARCHAR').map(([c]) => String(c));
      if (!strings.length) return new Set();
      const [counts] = await db.rows(`SELECT count(*), ${strings.map((c) => `count(DISTINCT ${ident(c)})`).join(', ')} FROM (SELECT * FROM ${rel} LIMIT ${SAMPLE_ROWS})`);
      const sampled = Number(counts![0]);
      return new Set(strings.filter((_, i) => Number(counts![i + 1]) * FEW_VALUES_RATIO <= sampled));
    } catch {
      return new Set(); // only a choice of storage: the table's own build reports whatever is wrong with the input
    } finally {
      await db.run(source);
    }
  };
  const createTable = async (name: string, rel: string) => {
    // explain's database keeps its tables in memory: a plain CTAS, with nothing read.
    for (const sql of await db.workTableStatements(name, rel, explainOnly ? new Set() : await fewValued(rel))) await exec(sql);
  };

  let relation = `(${typingSql('__source', ruleset)})`;
  let fields = ruleset.input.fields.map((f) => f.name);
  let table: string | null = null; // the materialized table `relation` reads, when nothing streams on top of it
  let first: string | null = null;
  let malformed: MalformedRow[] = [];
  let lineSql: string = INTERNAL.line;

  let previous: string | null = null; // the last table made, dropped once the next one is built from it
  const materialize = async (name: string) => {
    await createTable(name, relation);
    if (previous !== null) await exec(`DROP TABLE ${previous}`); // its rows (and their lines) are in the new one
    previous = name;
    if (first === null) {
      first = name;
      if (!explainOnly) malformed = await collectMalformed(db, files);
      lineSql = explainOnly ? `coalesce(${INTERNAL.line}, rowid + 2)` : await lineFormula(db, name, ruleset, files, malformed);
      table = name;
      relation = `(SELECT * REPLACE (${lineSql} AS ${INTERNAL.line}) FROM ${name})`;
    } else {
      table = name;
      relation = name;
    }
  };

  for (const [i, stage] of ruleset.stages.entries()) {
    const def = getStage(stage.kind)!;
    const ctx = stageSqlContext(fields, stage.label);
    if ((def.barrier && table === null) || (def.reordersRows && first === null)) await materialize(`__stage_${i}`);
    if (table !== null && def.toUpdateSql) {
      await exec(def.toUpdateSql(stage.body, table, ctx));
      const dedupe = stage.kind === 'dedupe' ? (stage.body as DedupeBody) : null;
      // Only with a state file (seenEvents): without one nothing is compared or remembered.
      if (dedupe?.acrossRuns && seenEvents) {
        await exec(crossRunUpdateSql(dedupe, table, SEEN_EVENTS, ctx));
        await exec(runKeysSql(dedupe, table, RUN_KEYS, table === first ? lineSql : INTERNAL.line, ctx));
      }
    } else if (table !== null && def.outcome) {
      await exec(outcomeUpdate(def.outcome(stage.body, ctx), table, ctx));
    } else {
      relation = `(${stageSql(stage, relation, fields)})`;
      table = null;
      fields = explainOnly ? fieldsAfterStage(fields, stage) : (await db.columns(`SELECT * FROM ${relation}`)).filter((c) => !INTERNAL_COLUMNS.includes(c));
    }
  }

  const guards = finalGuards(ruleset, fields);
  if (table !== null) {
    if (guards.length) await exec(outcomesUpdate(guards, table));
    await exec(`ALTER TABLE ${table} RENAME TO ${EVENTS_STORE}`);
  } else {
    for (const g of guards) relation = `(${outcomeSelect(g.outcome, relation, g.ctx)})`;
    await createTable(EVENTS_STORE, relation);
    if (previous !== null) await exec(`DROP TABLE ${previous}`);
    if (first === null) {
      // This is the first materialization: CSV lines come from its row ids.
      if (!explainOnly) malformed = await collectMalformed(db, files);
      lineSql = explainOnly ? `coalesce(${INTERNAL.line}, rowid + 2)` : await lineFormula(db, EVENTS_STORE, ruleset, files, malformed);
    } else {
      lineSql = INTERNAL.line;
    }
  }
  await exec(`CREATE OR REPLACE TEMP VIEW ${EVENTS_TABLE} AS SELECT * REPLACE (${lineSql} AS ${INTERNAL.line}), ${outcomeColumns()} FROM ${EVENTS_STORE}`);

  if (ruleset.stages.some((s) => s.kind === 'split')) {
    // A transaction is accepted or rejected whole: reject the other parts of a rejected one.
    await exec(`UPDATE ${EVENTS_STORE} SET ${INTERNAL.outcome} = r.outcome
  FROM (SELECT ${INTERNAL.file} AS f, ${INTERNAL.line} AS l, min(${INTERNAL.outcome}) AS outcome
        FROM ${EVENTS_STORE} WHERE starts_with(${INTERNAL.outcome}, '${STATUS.rejected}') GROUP BY 1, 2) AS r
  WHERE ${EVENTS_STORE}.${INTERNAL.file} = r.f AND ${EVENTS_STORE}.${INTERNAL.line} = r.l
    AND (${EVENTS_STORE}.${INTERNAL.outcome} IS NULL OR starts_with(${EVENTS_STORE}.${INTERNAL.outcome}, '${STATUS.filtered}'))`);
  }
  return { statements, malformed };
}

/**
 * Line numbers of CSV rows from the first materialized table: the row's place in its file (row ids follow the
 * files), plus the header, plus the malformed records DuckDB set aside before it. JSONL and Parquet rows carry
 * their own line.
 */
async function lineFormula(db: Database, table: string, ruleset: RulesetIR, files: InputFile[], malformed: MalformedRow[]): Promise<string> {
  const starts = await db.rows(`SELECT ${INTERNAL.file}, min(rowid) FROM ${table} WHERE ${INTERNAL.line} IS NULL GROUP BY 1`);
  if (!starts.length) return INTERNAL.line;
  const header = ruleset.input.csv.header ? 1 : 0;
  const base = `(rowid - CASE ${INTERNAL.file} ${starts.map(([f, s]) => `WHEN ${Number(f)} THEN ${Number(s)}`).join(' ')} END + 1 + ${header})`;
  const shifts = files.flatMap((_, i) => {
    const g = malformed.filter((m) => m.file === i).map((m, j) => m.line - j);
    if (!g.length) return [];
    // Rows were numbered as if no record were malformed; each malformed record at or before a row shifts it by one.
    return [`WHEN ${i} THEN ${g.map((x) => `CASE WHEN ${base} >= ${x} THEN 1 ELSE 0 END`).join(' + ')}`];
  });
  const shift = shifts.length ? ` + CASE ${INTERNAL.file} ${shifts.join(' ')} ELSE 0 END` : '';
  return `coalesce(${INTERNAL.line}, CAST(${base}${shift} AS BIGINT))`;
}

/**
 * Last checks on live events: an event needs its time and account to be metered, and events a price matrix
 * cannot price (with no default) are rejected here, with the matrix's reason, rather than dropped later.
 */
function finalGuards(ruleset: RulesetIR, fields: string[]): { outcome: StageOutcome; ctx: StageSqlContext }[] {
  const ctx = (label: string) => stageSqlContext(fields, label);
  const t = ident(ruleset.input.eventTime);
  const a = ident(ruleset.accountField);
  const guards = [
    { outcome: { condition: `${t} IS NULL`, status: STATUS.rejected, reason: `missing_${ruleset.input.eventTime}` }, ctx: ctx('metering') },
    { outcome: { condition: `${a} IS NULL OR CAST(${a} AS VARCHAR) = ''`, status: STATUS.rejected, reason: `missing_${ruleset.accountField}` }, ctx: ctx('metering') },
  ];
  for (const charge of ruleset.charges) {
    const meter = ruleset.meters.find((m) => m.name === charge.meter)!;
    const condition = matrixGuardCondition(ruleset, meter, charge);
    if (condition) guards.push({ outcome: { condition, status: STATUS.rejected, reason: charge.matrixGuard!.reason }, ctx: ctx(`price:${charge.name}`) });
  }
  return guards;
}

/** Malformed CSV rows DuckDB set aside while reading, and the line correction of the rows after them. */
export async function collectMalformed(db: Database, files: InputFile[]): Promise<MalformedRow[]> {
  const rows: MalformedRow[] = [];
  for (const [i, f] of files.entries()) {
    if (f.format !== 'csv' && f.format !== 'tsv') continue;
    const exists = await db.rows(`SELECT count(*) FROM duckdb_tables() WHERE table_name = '${malformedTable(i)}'`);
    if (!exists.length || Number(exists[0]![0]) === 0) continue;
    const found = await db.rows(`SELECT CAST(line AS BIGINT), error_type, error_message FROM ${malformedTable(i)} ORDER BY line, rowid`);
    let previous: number | null = null;
    for (const [line, type, message] of found) {
      // DuckDB can report one record several times (a short record: once per missing column). It is one row of
      // the file: one reject, and one shift of the line numbers after it.
      if (Number(line) === previous) continue;
      previous = Number(line);
      rows.push({ file: i, line: Number(line), reason: 'malformed_row', detail: `${String(type).toLowerCase().replace(/ /g, '_')}: ${String(message)}` });
    }
  }
  return rows;
}

/** Refuses reference tables whose key repeats (the join would multiply events). */
export async function checkReferenceTables(db: Database, ruleset: RulesetIR): Promise<void> {
  for (const s of ruleset.stages) {
    if (s.kind !== 'enrich') continue;
    const b = s.body as EnrichBody;
    let dups;
    try {
      dups = await db.rows(enrichDuplicateKeysSql(b, quoteString, ident));
    } catch (e) {
      throw new DataError(`cannot read the reference table ${b.file} of stage ${s.label}: ${firstLine(e)}`, 'check the path (relative to the ruleset) and that it has the `on` column');
    }
    if (dups.length) {
      throw new DataError(`the reference table ${b.file} repeats the key ${dups.map(([k, n]) => `"${String(k)}" (${String(n)} times)`).join(', ')}`, 'each key must appear once');
    }
  }
}

export function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0]!;
}

/**
 * Drops the mediated events once nothing reads them any more (rejects written, charges aggregated), so the
 * memory DuckDB holds them in is free while JavaScript writes the lines.
 */
export async function releaseEvents(db: Database): Promise<void> {
  await db.run(`DROP VIEW IF EXISTS ${EVENTS_TABLE}; DROP TABLE IF EXISTS ${EVENTS_STORE}`);
  await db.discardWorkFile();
}
