/**
 * `tally run … --engine snowflake`: mediation and metering run inside Snowflake as the pushdown script
 * (src/plan/snowflake-plan.ts), over one session, statement by statement; only outcome counts, capped rejects and
 * each charge's aggregated lines come back, as text (the driver's fetchAsString, as the source reads). Pricing,
 * the wallet step and the writers then take them exactly as they take DuckDB's.
 *
 * What the profile's snowflake connection says besides how to log in:
 *   reference_tables:  { STAGE: DB.SCHEMA.TABLE }  the staged copy of each enrich stage's reference file, by stage name;
 *   row_number_column: COLUMN                      the source column numbering its rows (the rejects' line; default:
 *                                                  a row_number() over the input columns, see the plan);
 *   time_column:       COLUMN                      what --since/--until filter on (as for the source).
 */
import crypto from 'node:crypto';
import type { Connection as SfConnection } from 'snowflake-sdk';
import { DataError, EXIT, TallyError, UsageError } from '../cli/errors.js';
import type { ChargeRowSource } from './rate.js';
import { mapSetting, textSetting, type Profile } from '../io/profile/profile.js';
import { closeSession, connectionOptions, openSession, sfError } from '../io/snowflake/connection.js';
import { splitIdentifier } from '../io/snowflake/identifier.js';
import { parseArg } from '../io/sources/snowflake.js';
import { chargeLinesOrder, chargeLinesSql } from '../plan/metering-sql.js';
import { compileSnowflakePlan, type SnowflakePlanOptions, type SnowflakeStatement } from '../plan/snowflake-plan.js';
import { EngineCapabilityError } from '../plan/sql-dialect.js';
import type { RulesetIR } from '../ruleset/ir.js';
import { addOutcome, emptyCounts, type OutcomeCounts } from './outcome-counts.js';

type Row = (string | null)[];

export interface PushdownResult {
  /** `snowflake://CONNECTION/DB.SCHEMA.TABLE`: the input's name in the manifest and in rejects.csv. */
  sourceName: string;
  counts: OutcomeCounts;
  /** The first rejected rows: line, stage, reason, detail, in line order (at most `rejectsLimit`). */
  rejects: Row[];
  /** Each charge's lines, in `chargeLinesOrder`, with the columns of `chargeLinesSql`. */
  chargeRows: Map<string, Row[]>;
  /**
   * sha256 over the table name, the window, the statements' texts, the outcome rows and the checksum row: the
   * input's fingerprint, from which the run id is derived. There is no file to hash, and a re-run over changed
   * table data must be a new run (the same run id would make the wallet step treat it as already recorded): the
   * checksum row (HASH_AGG(*) of the windowed source and of each reference table, computed in Snowflake) changes
   * when the data does, even when the counts happen not to.
   */
  sha256: string;
}

export interface PushdownOptions {
  since?: string;
  until?: string;
  rejectsLimit?: number;
}

export async function rateInSnowflake(ruleset: RulesetIR, target: string, profile: Profile, opts: PushdownOptions = {}): Promise<PushdownResult> {
  const parsed = parseArg(target);
  if (!parsed.table) throw new UsageError(`--engine snowflake runs over a table, and ${target} names none`, 'give snowflake://CONNECTION/DB.SCHEMA.TABLE');
  const conn = profile.connection(parsed.connection, 'snowflake');
  const sourceName = `snowflake://${parsed.connection}/${parsed.table}`;
  const plan = planOptions(parsed.table, conn, opts);
  const statements = compile(ruleset, plan);
  const options = connectionOptions(conn);

  const session = await openSession(options, sourceName);
  const results = new Map<string, Row[]>();
  try {
    for (const s of statements) {
      const rows = await query(session, s, sourceName);
      results.set(s.name, rows);
      if (s.name.startsWith('reference:')) checkReferenceKeys(s.name.slice('reference:'.length), plan, rows);
    }
    // Each statement reads the table anew: data loaded while they ran would make counts and lines disagree.
    const checksum = statements.find((s) => s.name === 'checksum')!;
    const again = await query(session, checksum, sourceName);
    if (JSON.stringify(again) !== JSON.stringify(results.get('checksum'))) {
      throw new DataError(`${sourceName}: the data changed while the run read it; nothing was written`, 'run again once the table is not being loaded (or give --until before the rows being loaded)');
    }
  } finally {
    await closeSession(session);
  }

  const chargeRows = new Map(ruleset.charges.map((c) => [c.name, results.get(`charge:${c.name}`)!]));
  const outcomes = results.get('outcomes')!;
  const sha256 = crypto.createHash('sha256').update(JSON.stringify({
    source: sourceName,
    window: { since: opts.since ?? null, until: opts.until ?? null },
    statements: statements.map((s) => s.sql),
    outcomes,
    checksum: results.get('checksum'),
  })).digest('hex');
  return { sourceName, counts: countsOf(sourceName, outcomes), rejects: results.get('rejects')!, chargeRows, sha256 };
}

/**
 * What `rateCharges` queries, answered from the fetched lines: it asks for each charge's lines in ruleset order,
 * and each call is checked to be for the charge whose lines come next.
 */
export function fetchedCharges(ruleset: RulesetIR, chargeRows: ReadonlyMap<string, Row[]>): ChargeRowSource {
  let next = 0;
  return {
    textRecords(sql: string, order?: string): Promise<Row[]> {
      const charge = ruleset.charges[next++];
      const meter = charge && ruleset.meters.find((m) => m.name === charge.meter)!;
      if (!charge || sql !== chargeLinesSql(ruleset, meter!, charge) || order !== chargeLinesOrder(charge)) {
        return Promise.reject(new Error(`pushdown: the lines asked for are not those of charge ${charge?.name ?? '(none left)'}`));
      }
      return Promise.resolve(chargeRows.get(charge.name)!);
    },
  };
}

function planOptions(table: string, conn: ReturnType<Profile['connection']>, opts: PushdownOptions): SnowflakePlanOptions {
  const where = `connection "${conn.name}"`;
  const referenceTables = mapSetting(conn, 'reference_tables');
  // Entries for stages this ruleset lacks are ignored: one connection serves several rulesets.
  for (const [stage, name] of Object.entries(referenceTables)) {
    if (splitIdentifier(name) === null) throw new DataError(`${where}: reference_tables.${stage} must be a table name (DB.SCHEMA.TABLE)`);
  }
  const rowNumberColumn = textSetting(conn, 'row_number_column');
  if (rowNumberColumn !== undefined && !/^[A-Za-z_][A-Za-z0-9_$]*$/.test(rowNumberColumn)) {
    throw new DataError(`${where}: row_number_column must be a column name (letters, digits, _ and $; used with its case, as the input columns are)`);
  }
  let window: SnowflakePlanOptions['window'];
  if (opts.since || opts.until) {
    const column = textSetting(conn, 'time_column');
    // Rating every row when a window was asked for would bill the wrong events: refuse, as the source does.
    if (!column) throw new UsageError(`--since/--until filter snowflake://${conn.name} on its time_column, which ${where} does not set`, 'set time_column: on the connection (the column holding each event\'s time)');
    if (splitIdentifier(column)?.length !== 1) throw new DataError(`${where}: time_column must be one column name (letters, digits, _ and $) or a double-quoted identifier`);
    window = { column, ...(opts.since ? { since: opts.since } : {}), ...(opts.until ? { until: opts.until } : {}) };
  }
  return {
    source: table,
    referenceTables,
    ...(rowNumberColumn ? { rowNumberColumn } : {}),
    ...(window ? { window } : {}),
    ...(opts.rejectsLimit !== undefined ? { rejectsLimit: opts.rejectsLimit } : {}),
    checksum: true,
  };
}

function compile(ruleset: RulesetIR, options: SnowflakePlanOptions): SnowflakeStatement[] {
  try {
    return compileSnowflakePlan(ruleset, options);
  } catch (e) {
    // What the ruleset uses that Snowflake cannot run is a problem of the ruleset on that engine (as in explain).
    if (e instanceof EngineCapabilityError) {
      const staging = /reference table is staged/.test(e.feature) ? 'stage the reference file as a table and name it in the connection\'s reference_tables: { STAGE: DB.SCHEMA.TABLE }, or ' : '';
      throw new TallyError(e.message, `${staging}run without --engine snowflake (DuckDB reads the table's rows instead)`, EXIT.ruleset);
    }
    throw e;
  }
}

/** One statement's rows as text (numbers arrive as text: fetchAsString; anything else is made text here). */
function query(session: SfConnection, statement: SnowflakeStatement, name: string): Promise<Row[]> {
  return new Promise<Row[]>((resolve, reject) => {
    session.execute({
      sqlText: statement.sql,
      complete: (err, _stmt, rows) => (err ? reject(err) : resolve(((rows ?? []) as unknown[][]).map((r) => r.map((v) => (v === null || v === undefined ? null : String(v)))))),
    });
  }).catch((e: unknown) => {
    throw sfError(name, `the pushdown statement ${statement.name} failed`, e, 'check the table, the staged reference tables and the role\'s privileges (tally explain RULESET --sql --engine snowflake shows the script)', 'check the network to Snowflake and run again; nothing was written');
  });
}

/** A staged reference table repeating a key would multiply events in the join; DuckDB refuses such a file too. */
function checkReferenceKeys(stage: string, plan: SnowflakePlanOptions, rows: Row[]): void {
  if (!rows.length) return;
  throw new DataError(`the reference table ${plan.referenceTables?.[stage] ?? ''} of stage ${stage} repeats the key ${rows.map(([k, n]) => `"${String(k)}" (${String(n)} times)`).join(', ')}`, 'each key must appear once');
}

/** The `outcomes` rows (status, stage, reason, rows; status NULL: accepted) as the manifest counts them. */
function countsOf(file: string, rows: Row[]): OutcomeCounts {
  const counts = emptyCounts([file]);
  for (const [status, stage, reason, n] of rows) addOutcome(counts, 0, status === null ? null : String(status), String(stage ?? ''), String(reason ?? ''), Number(n));
  return counts;
}
