/**
 * The expression AST, as written by the ruleset author (before type checking).
 * Every node carries `start`/`end`: 0-based, end-exclusive character offsets into the source, so a
 * problem found at any stage can point at the exact text.
 */

export interface Span {
  start: number;
  end: number;
}

/** Operators kept in the AST; `&&`/`and`, `||`/`or` and `!`/`not` are already folded together. */
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*' | '/';
export type LogicOp = 'and' | 'or';
export type BinaryOp = CompareOp | ArithOp | LogicOp;

export interface StringLit extends Span {
  kind: 'string';
  value: string;
}

/** An integer literal; `text` is the exact digits as written (with a leading `-` when negated). */
export interface IntegerLit extends Span {
  kind: 'integer';
  text: string;
}

/** A decimal literal; `text` is kept exactly as written (`0.0100` keeps its scale of 4). */
export interface DecimalLit extends Span {
  kind: 'decimal';
  text: string;
}

export interface BooleanLit extends Span {
  kind: 'boolean';
  value: boolean;
}

export interface NullLit extends Span {
  kind: 'null';
}

export interface ListLit extends Span {
  kind: 'list';
  items: Expr[];
}

export interface FieldRef extends Span {
  kind: 'field';
  name: string;
}

export interface Unary extends Span {
  kind: 'unary';
  op: '-' | 'not';
  operand: Expr;
}

export interface Binary extends Span {
  kind: 'binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
  /** Where the operator itself is, for problems about the operation. */
  opStart: number;
  opEnd: number;
}

/** `value in [..]` / `value not in [..]`; the right side is always a list literal. */
export interface InList extends Span {
  kind: 'in';
  negated: boolean;
  value: Expr;
  list: ListLit;
  opStart: number;
  opEnd: number;
}

export interface Conditional extends Span {
  kind: 'conditional';
  test: Expr;
  then: Expr;
  otherwise: Expr;
}

export interface Call extends Span {
  kind: 'call';
  name: string;
  /** End of the function name, so "unknown function" points at the name only. */
  nameEnd: number;
  args: Expr[];
}

export type Expr =
  | StringLit
  | IntegerLit
  | DecimalLit
  | BooleanLit
  | NullLit
  | ListLit
  | FieldRef
  | Unary
  | Binary
  | InList
  | Conditional
  | Call;

/** Scale of a decimal literal's text: `0.0100` → 4, `12` → 0. */
export function literalScale(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}
