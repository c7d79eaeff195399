/**
 * The expression language, as the rest of tally uses it: compile an expression against the fields in
 * scope (parse, then type-check, collecting every problem with its character range), then emit SQL
 * for a dialect. Nothing in an expression can become raw SQL: names must be known fields, functions
 * come from a fixed catalogue, literals are quoted and typed. The language is described for ruleset
 * authors in `README.md` beside this file.
 *
 * @example
 * const { expr, problems } = compileExpr('amount * 1.2 > 100', scope, { timezone: 'Europe/Paris' }, 'boolean');
 * if (expr) sql = emitSql(expr, duckdbDialect, (field) => `e.${duckdbDialect.quoteIdent(field)}`);
 */
import type { ExprOptions, ExprProblem, Scope, TypedExpr, ValueType } from './api.js';
import type { SqlDialect } from './dialect.js';
import { type ColumnRef, emitSql as emitChecked, fieldsIn } from './emit-sql.js';
import { parseExpr } from './parse.js';
import { problem } from './problems.js';
import { checkExpr } from './typecheck.js';
import { formatValueType } from './types.js';

export type { ExprOptions, ExprProblem, Scope, TypedExpr, ValueType } from './api.js';
export type { SqlDialect, SqlValue, NameSource, DialectName } from './dialect.js';
export type { ColumnRef } from './emit-sql.js';
export type { FunctionDoc } from './functions.js';
export { duckdbDialect } from './dialect.js';
export { describeFunctions } from './functions.js';
export { EXPR_PROBLEM_CODES, type ExprProblemCode } from './problems.js';
export { suggest } from './suggest.js';
export { formatValueType } from './types.js';
export { parseExpr } from './parse.js';
export { checkExpr } from './typecheck.js';

/**
 * Parses and type-checks `source`. `expected` (e.g. 'boolean' for a filter) adds a problem when the
 * result has another type; an integer result is accepted where a decimal is expected (exact widening).
 */
export function compileExpr(
  source: string,
  scope: Scope,
  options: ExprOptions,
  expected?: ValueType['kind'],
): { expr?: TypedExpr; problems: ExprProblem[] } {
  const parsed = parseExpr(source);
  if (!parsed.ast) return { problems: parsed.problems };
  const { type, typed, problems } = checkExpr(parsed.ast, scope, options);
  if (!type || !typed) return { problems };
  if (expected !== undefined && !(type.kind === expected || (expected === 'decimal' && type.kind === 'integer'))) {
    const message = `this must give ${article(expected)} ${expected}, but it gives ${formatValueType(type)}`;
    return { problems: [problem('expr_expected_type', message, parsed.ast)] };
  }
  return { expr: { source, ast: parsed.ast, type, checked: typed }, problems: [] };
}

/** SQL for a compiled expression; `columnRef` maps a field name to its column (quoted name by default). */
export function emitSql(expr: TypedExpr, dialect: SqlDialect, columnRef?: ColumnRef): string {
  return emitChecked(expr.checked, dialect, columnRef ?? ((name) => dialect.quoteIdent(name)));
}

/** Names of the fields an expression reads, in order of first use. */
export function fieldsUsed(expr: TypedExpr): string[] {
  return fieldsIn(expr.checked);
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
