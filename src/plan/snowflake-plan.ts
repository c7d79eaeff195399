/**
 * Snowflake pushdown: a ruleset compiled to a Snowflake SQL script that mediates and meters a source table inside
 * the warehouse, so only outcome counts, capped rejects and aggregated lines come back. The lines have exactly the
 * columns `chargeLinesSql` gives on DuckDB (it is the same function, through the Snowflake plan dialect), so the
 * JavaScript pricing (`rateCharges`) could price them unchanged.
 *
 * The script (each statement self-contained: the mediation chain is a WITH list, no temporary tables):
 *   1. `session`         ALTER SESSION: UTC, and one text layout for native timestamp columns;
 *   2. `reference:<stage>` per enrich stage: keys repeated in its staged table (must return no rows: the join
 *                       would multiply events, and DuckDB refuses such a table before a run too);
 *      `checksum`        only with the `checksum` option (a run's fingerprint of the data, see src/run/pushdown.ts);
 *   3. `outcomes`        rows per status, stage and reason (status NULL: accepted); after a split, per transaction;
 *   4. `rejects`         the first `rejectsLimit` rejected rows: line, stage, reason, detail, in line order;
 *   5. `charge:<name>`   per charge, its lines, ordered as `chargeLinesOrder`.
 *
 * Row numbers: a table has no line numbers, so `__line` is the `rowNumberColumn` the caller names (a load
 * sequence, a file row number), or else a row_number() over all input columns in declared order. The latter is
 * deterministic for given data, and it is what dedupe's "first row of a key" and the rejects' order follow.
 *
 * Refused with an `EngineCapabilityError` naming the feature: enrich without a staged reference table,
 * percentage charges, products needing more than 12 decimals, and time formats Snowflake cannot express.
 */
import { Decimal } from 'decimal.js';
import { UnsupportedFormat } from '../expr/snowflake-dialect.js';
import type { TypedExpr } from '../expr/index.js';
import type { TypedNode } from '../expr/typed-ast.js';
import { scaleOf } from '../expr/types.js';
import type { RulesetIR, StageIR } from '../ruleset/ir.js';
import type { EnrichBody } from '../stages/enrich.js';
import type { DedupeBody } from '../stages/dedupe.js';
import { getStage } from '../stages/registry.js';
import { INTERNAL, LIVE, outcomeSelect, STATUS, type StageOutcome } from '../stages/stage.js';
import { fieldsAfterStage, outcomeColumns, stageSqlContext, typingSql } from './mediation-sql.js';
import { chargeLinesOrder, chargeLinesSql, EVENTS_TABLE, matrixGuardCondition } from './metering-sql.js';
import { EngineCapabilityError, type PlanDialect } from './sql-dialect.js';
import { snowflakePlanDialect } from './snowflake-plan-dialect.js';

export interface SnowflakePlanOptions {
  /** The source table, `DB.SCHEMA.TABLE` (each part a plain name or a double-quoted identifier). Its columns are the ruleset's input columns, as text or native types. */
  source: string;
  /** A column of the source numbering its rows (the rejects' line); default: row_number() over all input columns. */
  rowNumberColumn?: string;
  /** Staged reference tables of enrich stages, by stage label (`accounts: TALLY.REF.ACCOUNTS`). */
  referenceTables?: Readonly<Record<string, string>>;
  /** Rejected rows returned at most (default 10,000). */
  rejectsLimit?: number;
  /**
   * Only the source rows whose `column` (one identifier, as written in the profile's time_column) is in
   * [since, until): what --since/--until read. The instants are ISO text (validated by the caller).
   */
  window?: { column: string; since?: string; until?: string };
  /**
   * Also a `checksum` statement after the reference checks: the windowed source's row count and HASH_AGG(*), and
   * each staged reference table's HASH_AGG(*). A run can fingerprint the data it rated (and run it again at the
   * end to see that the data did not change under it). Not in `explain`'s script.
   */
  checksum?: boolean;
}

export interface SnowflakeStatement {
  /** `session`, `reference:<stage>`, `outcomes`, `rejects` or `charge:<name>`. */
  name: string;
  sql: string;
}

const plan: PlanDialect = snowflakePlanDialect;

/** A table name: one to three parts, each a plain name or a double-quoted identifier. */
const TABLE_NAME = /^(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")(?:\.(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")){0,2}$/;

function checkTableName(name: string, what: string): string {
  if (!TABLE_NAME.test(name)) throw new Error(`${what} "${name}" is not a table name (DB.SCHEMA.TABLE, each part a plain name or a double-quoted identifier)`);
  return name;
}

/**
 * Placeholder names for `tally explain --engine snowflake`: the source `TALLY_SOURCE`, and per enrich stage
 * `TALLY_REF_<STAGE>` (the staged copy of its reference file).
 */
export function snowflakeExplainOptions(ruleset: RulesetIR): SnowflakePlanOptions {
  const refs = ruleset.stages.filter((s) => s.kind === 'enrich').map((s) => [s.label, `TALLY_REF_${s.label.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`]);
  return { source: 'TALLY_SOURCE', referenceTables: Object.fromEntries(refs) };
}

/**
 * The statements of the script, in order. `dialect` is for tests: the same statements spelled for DuckDB (with
 * its file reading switched off, so enrich joins the staged table) answer the Snowflake ones in a test server.
 */
export function compileSnowflakePlan(ruleset: RulesetIR, options: SnowflakePlanOptions, dialect: PlanDialect = plan): SnowflakeStatement[] {
  const refused = unsupportedFeatures(ruleset, options);
  if (refused.length) throw new EngineCapabilityError('snowflake', refused.join('; '), 'run this ruleset on DuckDB (the default engine)');
  try {
    return statements(ruleset, options, dialect);
  } catch (e) {
    if (e instanceof UnsupportedFormat) throw new EngineCapabilityError('snowflake', e.message);
    throw e;
  }
}

/** The script as text: each statement after a comment naming it, ended by `;`. */
export function renderSnowflakeScript(list: readonly SnowflakeStatement[]): string {
  return list.map((s) => `-- ${s.name}\n${s.sql};\n`).join('\n');
}

function statements(ruleset: RulesetIR, options: SnowflakePlanOptions, plan: PlanDialect): SnowflakeStatement[] {
  const ident = (name: string) => plan.ident(name);
  const source = checkTableName(options.source, 'the source table');
  const chain = mediationChain(ruleset, source, options, plan);
  const withChain = (select: string) => `WITH ${chain.join(',\n')}\n${select}`;
  const split = ruleset.stages.some((s) => s.kind === 'split');
  const out: SnowflakeStatement[] = [];

  out.push({
    name: 'session',
    // The same session the DuckDB engine has: UTC, so timestamps without an offset are UTC instants, and one text
    // layout for native timestamp columns (they are read as text and typed like any other input).
    sql: `ALTER SESSION SET TIMEZONE = 'UTC'
  TIMESTAMP_NTZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9'
  TIMESTAMP_LTZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM'
  TIMESTAMP_TZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM'
  DATE_OUTPUT_FORMAT = 'YYYY-MM-DD'`,
  });

  for (const s of ruleset.stages.filter((st) => st.kind === 'enrich')) {
    const b = s.body as EnrichBody;
    out.push({
      name: `reference:${s.label}`,
      sql: `SELECT CAST(${ident(b.on)} AS VARCHAR) AS k, count(*) AS n FROM ${referenceTable(s, options)} GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 5`,
    });
  }

  if (options.checksum) {
    const refs = ruleset.stages.filter((st) => st.kind === 'enrich').map((st, i) => `, (SELECT HASH_AGG(*) FROM ${referenceTable(st, options)}) AS __reference_${i}`);
    out.push({ name: 'checksum', sql: `SELECT count(*) AS __rows, HASH_AGG(*) AS __source${refs.join('')}
  FROM ${sourceRelation(source, options, plan)}` });
  }

  // After a split a row is a transaction: accepted if any part is, else its first rejected part, else its first part.
  const perRow = split
    ? `(SELECT * FROM ${EVENTS_TABLE}
    QUALIFY row_number() OVER (PARTITION BY ${INTERNAL.file}, ${INTERNAL.line}
      ORDER BY CASE WHEN ${LIVE} THEN 0 WHEN ${INTERNAL.status} = '${STATUS.rejected}' THEN 1 ELSE 2 END, ${INTERNAL.split}) = 1)`
    : EVENTS_TABLE;
  out.push({
    name: 'outcomes',
    sql: withChain(`SELECT ${INTERNAL.status}, ${INTERNAL.stage}, ${INTERNAL.reason}, count(*) AS __rows
  FROM ${perRow}
  GROUP BY ${INTERNAL.status}, ${INTERNAL.stage}, ${INTERNAL.reason}
  ORDER BY ${INTERNAL.status} NULLS FIRST, ${INTERNAL.stage}, ${INTERNAL.reason}`),
  });

  out.push({
    name: 'rejects',
    // One line per rejected row (after a split, per transaction: its first part), as rejects.csv has them.
    sql: withChain(`SELECT ${INTERNAL.line}, ${INTERNAL.stage}, ${INTERNAL.reason}, ${INTERNAL.detail}
  FROM ${EVENTS_TABLE}
  WHERE ${INTERNAL.status} = '${STATUS.rejected}'
  QUALIFY row_number() OVER (PARTITION BY ${INTERNAL.file}, ${INTERNAL.line} ORDER BY ${INTERNAL.split}) = 1
  ORDER BY ${INTERNAL.line}
  LIMIT ${options.rejectsLimit ?? 10000}`),
  });

  for (const charge of ruleset.charges) {
    const meter = ruleset.meters.find((m) => m.name === charge.meter)!;
    out.push({ name: `charge:${charge.name}`, sql: withChain(`${chargeLinesSql(ruleset, meter, charge, plan)}\nORDER BY ${chargeLinesOrder(charge)}`) });
  }
  return out;
}

/** The source table, with the window's condition when there is one. */
function sourceRelation(source: string, options: Pick<SnowflakePlanOptions, 'window'>, plan: PlanDialect): string {
  const w = options.window;
  if (!w || (!w.since && !w.until)) return source;
  // One plain or quoted identifier, used as written (as the source's time_column is), never other SQL.
  if (!/^(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")$/.test(w.column)) throw new Error(`the time column "${w.column}" is not one column name`);
  const conditions = [
    ...(w.since ? [`${w.column} >= ${plan.timestampLiteral(w.since)}`] : []),
    ...(w.until ? [`${w.column} < ${plan.timestampLiteral(w.until)}`] : []),
  ];
  return `${source} WHERE ${conditions.join(' AND ')}`;
}

/**
 * The WITH list from the source table to `__events`: text columns, typed fields, each stage as one SELECT over
 * the previous one, the final guards, and the outcome decoded into columns. Every input row keeps exactly one
 * outcome, as on DuckDB (see src/stages/stage.ts). Written for any plan dialect: the tests run it on DuckDB too
 * and compare its lines with the embedded engine's.
 */
export function mediationChain(ruleset: RulesetIR, source: string, options: Omit<SnowflakePlanOptions, 'source'>, dialect: PlanDialect = plan): string[] {
  const plan = dialect;
  const ident = (name: string) => plan.ident(name);
  const fields0 = ruleset.input.fields;
  const line = options.rowNumberColumn
    ? `CAST(${ident(options.rowNumberColumn)} AS BIGINT)`
    : `row_number() OVER (ORDER BY ${fields0.map((f) => ident(f.column)).join(', ')})`;
  const cols = fields0.map((f) => `CAST(${ident(f.column)} AS VARCHAR) AS ${ident(f.name)}`);
  const ctes: string[] = [
    `__source AS (SELECT 0 AS ${INTERNAL.file}, ${line} AS ${INTERNAL.line}, CAST(NULL AS VARCHAR) AS __malformed, ${cols.join(', ')}
  FROM ${sourceRelation(source, options, plan)})`,
    `__typed AS (${typingSql('__source', ruleset, plan)})`,
  ];
  let from = '__typed';
  let fields = fields0.map((f) => f.name);
  const step = (name: string, sql: string) => {
    ctes.push(`${name} AS (${sql})`);
    from = name;
  };

  for (const [i, stage] of ruleset.stages.entries()) {
    const def = getStage(stage.kind)!;
    // An engine that cannot read files joins the staged copy of a reference table.
    const ctx = plan.capabilities.canReadFiles
      ? stageSqlContext(fields, stage.label, plan)
      : { ...stageSqlContext(fields, stage.label, plan), referenceTable: () => referenceTable(stage, options) };
    step(`__stage_${i}`, def.toSql!(stage.body, from, ctx));
    fields = fieldsAfterStage(fields, stage);
  }

  for (const [i, g] of finalGuards(ruleset, plan).entries()) step(`__guard_${i}`, outcomeSelect(g.outcome, from, stageSqlContext(fields, g.label, plan)));

  if (ruleset.stages.some((s) => s.kind === 'split')) {
    // A transaction is accepted or rejected whole: its live and filtered parts take the outcome of its first rejected part.
    const rejected = `${plan.expr.startsWith(INTERNAL.outcome, `'${STATUS.rejected}'`)}`;
    step('__transactions', `SELECT * EXCLUDE (__transaction_reject) REPLACE (
    CASE WHEN (${LIVE} OR ${plan.expr.startsWith(INTERNAL.outcome, `'${STATUS.filtered}'`)}) AND __transaction_reject IS NOT NULL THEN __transaction_reject ELSE ${INTERNAL.outcome} END AS ${INTERNAL.outcome})
  FROM (SELECT *, min(CASE WHEN ${rejected} THEN ${INTERNAL.outcome} END) OVER (PARTITION BY ${INTERNAL.file}, ${INTERNAL.line}) AS __transaction_reject FROM ${from})`);
  }
  ctes.push(`${EVENTS_TABLE} AS (SELECT *, ${outcomeColumns(plan)} FROM ${from})`);
  return ctes;
}

/** Live events need their time and account, and a price matrix with no default must know their dimension values. */
function finalGuards(ruleset: RulesetIR, plan: PlanDialect): { outcome: StageOutcome; label: string }[] {
  const t = plan.ident(ruleset.input.eventTime);
  const a = plan.ident(ruleset.accountField);
  const guards = [
    { outcome: { condition: `${t} IS NULL`, status: STATUS.rejected, reason: `missing_${ruleset.input.eventTime}` }, label: 'metering' },
    { outcome: { condition: `${a} IS NULL OR CAST(${a} AS VARCHAR) = ''`, status: STATUS.rejected, reason: `missing_${ruleset.accountField}` }, label: 'metering' },
  ];
  for (const charge of ruleset.charges) {
    const meter = ruleset.meters.find((m) => m.name === charge.meter)!;
    const condition = matrixGuardCondition(ruleset, meter, charge, plan);
    if (condition) guards.push({ outcome: { condition, status: STATUS.rejected, reason: charge.matrixGuard!.reason }, label: `price:${charge.name}` });
  }
  return guards;
}

function referenceTable(stage: StageIR, options: Pick<SnowflakePlanOptions, 'referenceTables'>): string {
  const table = options.referenceTables?.[stage.label];
  if (!table) throw new Error(`no reference table for stage ${stage.label}`); // checked by unsupportedFeatures
  return checkTableName(table, `the reference table of stage ${stage.label}`);
}

/** What the ruleset uses that this engine cannot run, each said in a few words. */
function unsupportedFeatures(ruleset: RulesetIR, options: SnowflakePlanOptions): string[] {
  const out: string[] = [];
  for (const s of ruleset.stages) {
    if (s.kind === 'enrich' && !options.referenceTables?.[s.label]) {
      out.push(`stage ${s.label} (enrich from the file ${(s.body as EnrichBody).file.split(/[\\/]/).pop()}) until its reference table is staged in Snowflake and named for the stage`);
    }
    if (s.kind === 'dedupe' && (s.body as DedupeBody).acrossRuns) out.push(`stage ${s.label} (dedupe across runs: the keys earlier runs accepted are in the local state file)`);
    for (const e of exprsIn(s.body)) out.push(...productProblems(e, `stage ${s.label}`));
  }
  for (const m of ruleset.meters) for (const e of [m.value, m.filter]) if (e) out.push(...productProblems(e, `meter ${m.name}`));
  for (const c of ruleset.charges) if (c.percentage) out.push(`the percentage charge ${c.name} (its per-event amounts need products beyond 12 decimals)`);
  return out;
}

/** Expressions anywhere in a stage body (bodies are the stages' own shapes: walk them). */
function exprsIn(value: unknown, seen = new Set<unknown>()): TypedExpr[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return [];
  seen.add(value);
  if ('checked' in value && 'source' in value) return [value as TypedExpr];
  const children = value instanceof Map ? [...value.values()] : Array.isArray(value) ? value : Object.values(value);
  return children.flatMap((c) => exprsIn(c, seen));
}

/**
 * Products Snowflake would round: it keeps min(s1 + s2, max(s1, s2, 12)) decimals of a product. Division by a
 * literal with a short reciprocal is emitted as a product too (see expr/emit-sql.ts).
 */
function productProblems(e: TypedExpr, where: string): string[] {
  const max = plan.capabilities.maxProductScale;
  const out: string[] = [];
  const walk = (n: TypedNode): void => {
    if (n.kind === 'arith' && n.type.kind === 'decimal') {
      const left = scaleOf(n.left.type);
      let right: number | undefined = n.op === '*' ? scaleOf(n.right.type) : undefined;
      if (n.op === '/' && (n.right.kind === 'integer' || n.right.kind === 'decimal')) right = reciprocalScale(n.right.text);
      if (right !== undefined && left + right > Math.max(left, right, max)) {
        out.push(`the expression "${e.source}" in ${where} (a product with ${left + right} decimals; Snowflake keeps ${max} exactly)`);
      }
    }
    for (const child of Object.values(n)) {
      if (Array.isArray(child)) child.forEach((c) => isNode(c) && walk(c));
      else if (isNode(child)) walk(child);
    }
  };
  walk(e.checked);
  return out;
}

const isNode = (v: unknown): v is TypedNode => typeof v === 'object' && v !== null && 'kind' in v && 'type' in v;

/** Decimals of 1/x when it is a short exact decimal (the emitter then multiplies), else undefined. */
function reciprocalScale(text: string): number | undefined {
  const D = Decimal.clone({ precision: 80 });
  const x = new D(text);
  if (x.isZero()) return undefined;
  const r = new D(1).div(x);
  return r.times(x).eq(1) && r.decimalPlaces() <= 18 ? r.decimalPlaces() : undefined;
}
