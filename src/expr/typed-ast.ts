/**
 * The checked expression tree: every node knows its value type, and every decision the SQL depends on
 * is already made (which `+` concatenates, which `==` is an IS NULL test, which zone a time function
 * uses), so emitting SQL for any dialect is a plain walk.
 */
import type { ValueType } from './api.js';
import type { ArithOp, CompareOp, LogicOp } from './ast.js';
import type { FunctionDef } from './functions.js';

export type TypedNode =
  | { kind: 'string'; value: string; type: ValueType }
  | { kind: 'integer'; text: string; type: ValueType }
  | { kind: 'decimal'; text: string; type: ValueType }
  | { kind: 'boolean'; value: boolean; type: ValueType }
  | { kind: 'null'; type: ValueType }
  | { kind: 'field'; name: string; type: ValueType }
  | { kind: 'negate'; operand: TypedNode; type: ValueType }
  | { kind: 'not'; operand: TypedNode; type: ValueType }
  /** Numeric `+ - * /`; `type` already carries the result scale. */
  | { kind: 'arith'; op: ArithOp; left: TypedNode; right: TypedNode; type: ValueType }
  /** String `+`: NULL when either side is NULL. */
  | { kind: 'concat'; left: TypedNode; right: TypedNode; type: ValueType }
  /** `operandType` is the type both sides are compared as. */
  | { kind: 'compare'; op: CompareOp; left: TypedNode; right: TypedNode; operandType: ValueType; type: ValueType }
  /** `x == null` / `x != null`. */
  | { kind: 'is_null'; negated: boolean; operand: TypedNode; type: ValueType }
  | { kind: 'logic'; op: LogicOp; left: TypedNode; right: TypedNode; type: ValueType }
  | { kind: 'in'; negated: boolean; value: TypedNode; items: TypedNode[]; operandType: ValueType; type: ValueType }
  | { kind: 'conditional'; test: TypedNode; then: TypedNode; otherwise: TypedNode; type: ValueType }
  /** `zone` is the resolved IANA zone for time functions (the ruleset's unless the call names one). */
  | { kind: 'call'; fn: FunctionDef; args: TypedNode[]; zone?: string; type: ValueType };

export type LiteralNode = Extract<TypedNode, { kind: 'string' | 'integer' | 'decimal' | 'boolean' | 'null' }>;

export function isLiteral(n: TypedNode): n is LiteralNode {
  return n.kind === 'string' || n.kind === 'integer' || n.kind === 'decimal' || n.kind === 'boolean' || n.kind === 'null';
}
