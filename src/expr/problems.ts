/**
 * The catalogue of expression problem codes. Every problem the expression language reports uses one
 * of these codes, so docs, tests and the diagnostics layer agree on what each one means.
 */
import type { ExprProblem } from './api.js';
import type { Span } from './ast.js';

export const EXPR_PROBLEM_CODES = {
  expr_syntax: 'The text is not a valid expression (or uses syntax the language does not have).',
  expr_unknown_field: 'A name that is not a field in scope.',
  expr_unknown_function: 'A call to a function that is not in the catalogue.',
  expr_arg_count: 'A function called with too few or too many arguments.',
  expr_arg_type: 'A function argument of the wrong type, or not a literal where a literal is required.',
  expr_type_mismatch: 'An operator applied to values of types it does not combine.',
  expr_expected_type: 'The expression is valid but its result is not the type this place needs.',
  expr_literal: 'A literal with an invalid value: out of range, a bad time zone, unit, format or regex.',
} as const;

export type ExprProblemCode = keyof typeof EXPR_PROBLEM_CODES;

export function problem(code: ExprProblemCode, message: string, at: Span): ExprProblem {
  return { code, message, start: at.start, end: at.end };
}

/** ` (did you mean "amount"?)` or nothing; the same wording as the ruleset's own diagnostics. */
export function didYouMean(suggestion: string | undefined): string {
  return suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
}
