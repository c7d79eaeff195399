/**
 * Public contract of the expression language (see docs in expr/README.md).
 * Expressions appear in validate, filter, derive, meters and conditions. They are parsed into an AST,
 * type-checked against the fields in scope, and emitted as SQL per dialect with proper quoting.
 * An expression can never carry raw SQL, read a file or run a second statement.
 */
import type { Expr } from './ast.js';
import type { TypedNode } from './typed-ast.js';

/** Value types known to the language. Decimals carry their scale so SQL casts stay exact. */
export type ValueType =
  | { kind: 'string' }
  | { kind: 'decimal'; scale: number }
  | { kind: 'integer' }
  | { kind: 'timestamp' }
  | { kind: 'boolean' }
  | { kind: 'null' }
  | { kind: 'list'; element: ValueType };

/** Fields visible to an expression, by name. */
export type Scope = ReadonlyMap<string, ValueType>;

/** A problem in an expression; offsets are 0-based character offsets into the expression text. */
export interface ExprProblem {
  code: string;
  message: string;
  start: number;
  end: number;
}

/** Options that shape type checking and emission. */
export interface ExprOptions {
  /** IANA time zone used by time functions when no zone is given (the ruleset's time zone). */
  timezone: string;
}

/** A parsed, type-checked expression, ready to be emitted as SQL for any dialect. */
export interface TypedExpr {
  /** The text as the ruleset author wrote it. */
  source: string;
  ast: Expr;
  /** The result type. */
  type: ValueType;
  /** The checked tree SQL is emitted from (every node typed, every operator resolved). */
  checked: TypedNode;
}
