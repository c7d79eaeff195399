/**
 * Answers for the Snowflake test server (snowflake-server.ts) computed, not canned: each statement of the
 * Snowflake pushdown script is recognised by its exact text and answered by running its DuckDB twin (the same
 * plan through the DuckDB plan dialect, as test/plan/pushdown-duckdb.test.ts does) over tables DuckDB holds under
 * the same names. File reading is switched off in the twin's dialect, so enrich joins the staged reference table
 * as it does in Snowflake. A statement the script does not have gets an error: tally must send exactly its plan.
 */
import { Database } from '../../src/engine/duckdb/database.js';
import { duckdbPlanDialect } from '../../src/plan/duckdb-plan-dialect.js';
import { compileSnowflakePlan, type SnowflakePlanOptions, type SnowflakeStatement } from '../../src/plan/snowflake-plan.js';
import type { PlanDialect } from '../../src/plan/sql-dialect.js';
import type { RulesetIR } from '../../src/ruleset/ir.js';
import type { QueryAnswer, ReceivedQuery } from './snowflake-server.js';

const twinDialect: PlanDialect = { ...duckdbPlanDialect, capabilities: { ...duckdbPlanDialect.capabilities, canReadFiles: false } };

/** A table DuckDB creates: `name` (DB.SCHEMA.TABLE) from a CSV file read as text, plus `extra` columns (SQL over the file's rows). */
export interface TwinTable {
  name: string;
  csv: string;
  extra?: string;
}

export class PushdownTwin {
  /** Statement names in the order they were answered. */
  readonly answered: string[] = [];
  /** Answer the statement of this name with a Snowflake error instead. */
  failOn: string | null = null;
  /** Called after each answer (a test changes the data mid-run with it). */
  after: ((name: string, twin: PushdownTwin) => Promise<void>) | null = null;

  private constructor(
    readonly db: Database,
    private readonly snowflake: SnowflakeStatement[],
    private readonly duckdb: SnowflakeStatement[],
    private readonly checksumSql: string,
  ) {}

  static async open(ruleset: RulesetIR, options: SnowflakePlanOptions, tables: TwinTable[]): Promise<PushdownTwin> {
    const db = await Database.open({ threads: 1 });
    for (const t of tables) {
      const [catalog, schema] = t.name.split('.');
      await db.run(`ATTACH IF NOT EXISTS ':memory:' AS ${catalog}`);
      await db.run(`CREATE SCHEMA IF NOT EXISTS ${catalog}.${schema}`);
      // rowid follows the file only in a table of its own (a window without ORDER BY would not).
      await db.run(`CREATE TEMP TABLE __file AS SELECT * FROM read_csv('${t.csv}', header = true, all_varchar = true)`);
      await db.run(`CREATE TABLE ${t.name} AS SELECT *${t.extra ? `, ${t.extra}` : ''} FROM __file`);
      await db.run('DROP TABLE __file');
    }
    // HASH_AGG has no DuckDB name: any order-independent digest of the same rows serves the test.
    const digest = (table: string) => `(SELECT md5(coalesce(string_agg(CAST(t AS VARCHAR), chr(30) ORDER BY CAST(t AS VARCHAR)), '')) FROM ${table} AS t)`;
    const refs = Object.values(options.referenceTables ?? {}).map(digest);
    const checksumSql = `SELECT count(*) AS __rows, ${digest(options.source)} AS __source${refs.map((r, i) => `, ${r} AS __reference_${i}`).join('')} FROM ${options.source}`;
    return new PushdownTwin(db, compileSnowflakePlan(ruleset, options), compileSnowflakePlan(ruleset, options, twinDialect), checksumSql);
  }

  /** The server's `answer` callback. */
  readonly answer = async (q: ReceivedQuery): Promise<QueryAnswer> => {
    const i = this.snowflake.findIndex((s) => s.sql === q.sqlText);
    if (i < 0) return { error: { code: '001003', message: `SQL compilation error: not a statement of the plan: ${q.sqlText.slice(0, 60)}`, sqlState: '42000' } };
    const name = this.snowflake[i]!.name;
    this.answered.push(name);
    if (name === this.failOn) return { error: { code: '000630', message: 'Statement reached its statement or warehouse timeout of 1 second(s) and was canceled.', sqlState: '57014' } };
    let answer: QueryAnswer;
    try {
      if (name === 'session') answer = { columns: [{ name: 'status', type: 'text' }], rows: [['Statement executed successfully.']], statementTypeId: 0x6000 };
      else if (name === 'checksum') answer = await this.rows(this.checksumSql); // one row
      else answer = await this.rows(this.duckdb[i]!.sql, /ORDER BY ([^\n]*?)(?:\s+LIMIT \d+)?\s*$/.exec(this.duckdb[i]!.sql)?.[1]);
    } catch (e) {
      // As a Snowflake error (an exception would be an HTTP 500, which the driver retries for minutes).
      return { error: { code: '100000', message: `DuckDB twin of ${name}: ${(e as Error).message}`, sqlState: 'XX000' } };
    }
    await this.after?.(name, this);
    return answer;
  };

  close(): void {
    this.db.close();
  }

  /** The rows as DuckDB gives them to rate.ts (textRows), in `order` (the statement's own final ORDER BY). */
  private async rows(sql: string, order?: string): Promise<QueryAnswer> {
    // Every column as text (a no-op for the lines, which are text already: rate.ts reads them with textRows).
    const text = `SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (${sql})`;
    const columns = await this.db.columns(text);
    const rows = await this.db.textRows(text, order);
    // Snowflake's columns would be typed; the driver fetches numbers as text anyway (fetchAsString), so text here.
    return { columns: columns.map((name) => ({ name, type: 'text' as const })), rows };
  }
}
