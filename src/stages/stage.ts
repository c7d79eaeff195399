/**
 * What every mediation stage kind provides: its YAML spec (data), a semantic compile against the fields in
 * scope, and its SQL over the previous relation. One file per kind; `registry.ts` lists them explicitly.
 *
 * Every relation in the mediation chain carries the event's fields plus __file, __line, __split and __outcome.
 * A row is "live" while `__outcome` is NULL; a stage that rejects or filters sets it once (status, stage, reason
 * and detail in one text, so each stage evaluates its condition once per row), and later stages leave it alone:
 * each row ends with exactly one outcome. The table of mediated events splits it into __status, __stage,
 * __reason and __detail.
 */
import type { Node } from 'yaml';
import type { SqlDialect } from '../expr/dialect.js';
import type { TypedExpr } from '../expr/index.js';
import type { FieldType } from '../ruleset/ir.js';
import type { Spec } from '../ruleset/spec.js';
import type { PlanDialect } from '../plan/sql-dialect.js';
import type { EnrichBody } from './enrich.js';

export const INTERNAL = {
  file: '__file',
  /** In the mediation chain: NULL while live, else `status␟stage␟reason␟detail` (␟ = U+001F). */
  outcome: '__outcome',
  line: '__line',
  split: '__split',
  status: '__status',
  reason: '__reason',
  stage: '__stage',
  hash: '__hash',
  /** Optional text saying what was wrong with a rejected row, e.g. `quantity="abc"`. */
  detail: '__detail',
} as const;

/** Outcome codes in `__status`. */
export const STATUS = { rejected: 'R', filtered: 'F', duplicate: 'D' } as const;

export interface StageCompileContext {
  /** Fields in scope before this stage, by name; the stage mutates it to what follows it. */
  scope: Map<string, FieldType>;
  label: string;
  path: string;
  /** Directory of the ruleset file, for reference tables. */
  baseDir: string;
  /** Compiles an expression found at `obj[key]`, reporting located problems; undefined when it has errors. */
  expr(obj: object, key: string, expected?: 'boolean'): TypedExpr | undefined;
  /** Reports a problem at `obj[key]` (or the stage itself). */
  error(obj: object | null, key: string, code: string, message: string): void;
  /** The YAML node of `obj[key]`, for positions. */
  nodeOf(obj: object, key?: string): Node | undefined;
  /** The input's event id field (the default dedupe key). */
  eventId: string;
  /** Stages seen before this one (kinds), for ordering rules. */
  before: readonly string[];
}

export interface StageSqlContext {
  dialect: SqlDialect;
  /** Field names present on the relation, in order. */
  fields: readonly string[];
  ident(name: string): string;
  literal(text: string): string;
  emit(expr: TypedExpr): string;
  sqlType(type: FieldType): string;
  /** Strict text-to-type conversion: NULL when the text is not exactly a value of the type (no silent rounding). */
  castText(textSql: string, type: FieldType): string;
  label: string;
  /** The engine's plan dialect, for the few stage pieces beyond expressions (split's series of children). */
  plan: PlanDialect;
  /** Enrich: the relation holding a reference table, when the engine reads tables rather than files. */
  referenceTable?(body: EnrichBody): string;
}

export interface StageDefinition<Body = unknown> {
  kind: string;
  doc: string;
  spec: Spec;
  /** True when the stage can reject rows (so it must not follow `split`, see split.ts). */
  rejects: boolean;
  /**
   * True when the stage needs its input materialized first: the whole input at once (dedupe), or stable row
   * identities (split, whose parts keep their transaction's line).
   */
  barrier: boolean;
  /**
   * The stage's SQL may change the order of rows (a join). Rows must still be in file order when the first table
   * is materialized, since CSV line numbers come from its row ids: such a stage materializes before it runs.
   */
  reordersRows?: boolean;
  compile(raw: Record<string, unknown>, ctx: StageCompileContext): Body | undefined;
  /** A SELECT over relation `from` that keeps the internal columns (every stage has this or `toUpdateSql`). */
  toSql?(body: Body, from: string, ctx: StageSqlContext): string;
  /** One line for `tally explain`. */
  explain(body: Body): string;
  /**
   * Stages that only decide outcomes (never change fields) say how, so that after a materialization they run as
   * an UPDATE of the few rows they hit instead of another pass copying every row.
   */
  outcome?(body: Body, ctx: StageSqlContext): StageOutcome;
  /** Barrier stages that can run in place: UPDATE statements on the materialized `table`. */
  toUpdateSql?(body: Body, table: string, ctx: StageSqlContext): string;
}

export interface StageOutcome {
  condition: string;
  status: string;
  reason: string;
  detail?: string;
}

/** The SELECT of an outcome-only stage over `from`. */
export function outcomeSelect(o: StageOutcome, from: string, ctx: StageSqlContext): string {
  return `SELECT * REPLACE (\n    ${outcomeWhen(o.condition, o.status, o.reason, ctx, o.detail)})\n  FROM ${from}`;
}

/** The UPDATE of an outcome-only stage on a materialized table. */
export function outcomeUpdate(o: StageOutcome, table: string, ctx: StageSqlContext): string {
  return `UPDATE ${table} SET ${INTERNAL.outcome} = ${outcomeSql(o.status, ctx.label, o.reason, ctx, o.detail)} WHERE ${LIVE} AND (${o.condition})`;
}

/**
 * Several outcome checks as one UPDATE (one scan instead of one per check), for checks that run back to back:
 * the first whose condition holds sets the outcome, as if each had run in turn.
 */
export function outcomesUpdate(checks: readonly { outcome: StageOutcome; ctx: StageSqlContext }[], table: string): string {
  if (checks.length === 1) return outcomeUpdate(checks[0]!.outcome, table, checks[0]!.ctx);
  const when = checks.map(({ outcome: o, ctx }) => `WHEN (${o.condition}) THEN ${outcomeSql(o.status, ctx.label, o.reason, ctx, o.detail)}`).join('\n    ');
  const any = checks.map(({ outcome: o }) => `(${o.condition})`).join(' OR ');
  return `UPDATE ${table} SET ${INTERNAL.outcome} = CASE\n    ${when}\n  END WHERE ${LIVE} AND (${any})`;
}

/** SQL condition: the row is still live (no stage has rejected, filtered or dropped it). */
export const LIVE = `${'__outcome'} IS NULL`;

/** The unit separator between the parts of `__outcome`. */
export const OUTCOME_SEPARATOR = '\u001f';

/** SQL text of an outcome: status, stage, reason, then the detail expression (or nothing). */
export function outcomeSql(status: string, stage: string, reason: string, ctx: Pick<StageSqlContext, 'literal'>, detailSql?: string): string {
  const head = ctx.literal([status, stage, reason, ''].join(OUTCOME_SEPARATOR));
  return detailSql ? `(${head} || coalesce(${detailSql}, ''))` : head;
}

/** SQL (a REPLACE item) that sets a live row's outcome when `condition` holds. */
export function outcomeWhen(condition: string, status: string, reason: string, ctx: StageSqlContext, detailSql?: string): string {
  return `CASE WHEN ${LIVE} AND (${condition}) THEN ${outcomeSql(status, ctx.label, reason, ctx, detailSql)} ELSE ${INTERNAL.outcome} END AS ${INTERNAL.outcome}`;
}

/** `field="value"` as SQL text, for the detail of a rejected row. */
export function detailOf(field: string, textSql: string, ctx: StageSqlContext): string {
  return `${ctx.literal(`${field}=`)} || coalesce('"' || replace(${textSql}, '"', '""') || '"', 'null')`;
}
