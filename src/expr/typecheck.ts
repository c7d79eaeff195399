/**
 * Type checking: gives every node a value type, resolves what each operator means for its operand
 * types, and collects every problem (not just the first) with the character range it is about.
 */
import type { ExprOptions, ExprProblem, Scope, ValueType } from './api.js';
import type { Binary, Call, Expr, InList, Span } from './ast.js';
import { literalScale } from './ast.js';
import { type FunctionDef, type ParamSpec, FUNCTIONS, getFunction, literalString, signatureOf } from './functions.js';
import { didYouMean, problem, type ExprProblemCode } from './problems.js';
import { suggest } from './suggest.js';
import { resolveTimeZone, timeZoneNames } from './time-zones.js';
import type { TypedNode } from './typed-ast.js';
import { BOOLEAN, DIVISION_SCALE, INTEGER, MAX_SCALE, NULL, decimal, formatValueType, isNumeric, scaleOf, unify, unifyAll } from './types.js';

export interface CheckResult {
  /** The result type; absent when there are problems. */
  type?: ValueType;
  typed?: TypedNode;
  problems: ExprProblem[];
}

export function checkExpr(ast: Expr, scope: Scope, options: ExprOptions): CheckResult {
  const checker = new Checker(scope, options);
  const typed = checker.check(ast);
  // In reading order, whatever order the tree was walked in.
  const problems = [...checker.problems].sort((a, b) => a.start - b.start);
  if (problems.length || !typed) return { problems };
  return { type: typed.type, typed, problems: [] };
}

const BIGINT_MIN = -(2n ** 63n);
const BIGINT_MAX = 2n ** 63n - 1n;
const MAX_DIGITS = 38;

class Checker {
  readonly problems: ExprProblem[] = [];

  constructor(
    private readonly scope: Scope,
    private readonly options: ExprOptions,
  ) {}

  /** The typed node, or undefined when the node (or something in it) has a problem already reported. */
  check(node: Expr): TypedNode | undefined {
    switch (node.kind) {
      case 'string':
        return { kind: 'string', value: node.value, type: { kind: 'string' } };
      case 'boolean':
        return { kind: 'boolean', value: node.value, type: BOOLEAN };
      case 'null':
        return { kind: 'null', type: NULL };
      case 'integer': {
        const value = BigInt(node.text);
        if (value < BIGINT_MIN || value > BIGINT_MAX) {
          return this.fail('expr_literal', `${node.text} is out of the integer range; write it as a decimal (${node.text}.0)`, node);
        }
        return { kind: 'integer', text: node.text, type: INTEGER };
      }
      case 'decimal': {
        const scale = literalScale(node.text);
        const digits = node.text.replace(/^-?0*/, '').replace('.', '').length;
        if (scale > MAX_SCALE) return this.fail('expr_literal', `${node.text} has ${scale} decimals; at most ${MAX_SCALE} are allowed`, node);
        if (digits > MAX_DIGITS) return this.fail('expr_literal', `${node.text} has more than ${MAX_DIGITS} digits`, node);
        return { kind: 'decimal', text: node.text, type: decimal(scale) };
      }
      case 'list':
        return this.fail('expr_type_mismatch', 'a list can only follow "in" or "not in", e.g. region in ["eu", "us"]', node);
      case 'field':
        return this.field(node.name, node);
      case 'unary': {
        const operand = this.check(node.operand);
        if (!operand) return undefined;
        if (node.op === 'not') {
          if (!this.isBooleanLike(operand.type)) return this.mismatch(`"not" needs a boolean, not ${formatValueType(operand.type)}`, node.operand);
          return { kind: 'not', operand, type: BOOLEAN };
        }
        if (!isNumeric(operand.type) && operand.type.kind !== 'null') {
          return this.mismatch(`"-" needs a number, not ${formatValueType(operand.type)}`, node.operand);
        }
        return { kind: 'negate', operand, type: operand.type };
      }
      case 'binary':
        return this.binary(node);
      case 'in':
        return this.inList(node);
      case 'conditional': {
        const test = this.check(node.test);
        const then = this.check(node.then);
        const otherwise = this.check(node.otherwise);
        if (!test || !then || !otherwise) return undefined;
        if (!this.isBooleanLike(test.type)) return this.mismatch(`the condition before "?" must be a boolean, not ${formatValueType(test.type)}`, node.test);
        const type = unify(then.type, otherwise.type);
        if (!type) {
          return this.mismatch(`both branches must have one type, not ${formatValueType(then.type)} and ${formatValueType(otherwise.type)}`, node.otherwise);
        }
        return { kind: 'conditional', test, then, otherwise, type };
      }
      case 'call':
        return this.call(node);
    }
  }

  private field(name: string, at: Span): TypedNode | undefined {
    const type = this.scope.get(name);
    if (type) return { kind: 'field', name, type };
    if (FUNCTIONS.has(name)) return this.fail('expr_unknown_field', `"${name}" is a function: call it as ${name}(…)`, at);
    return this.fail('expr_unknown_field', `unknown field "${name}"${didYouMean(suggest(name, this.scope.keys()))}`, at);
  }

  private binary(node: Binary): TypedNode | undefined {
    const left = this.check(node.left);
    const right = this.check(node.right);
    if (!left || !right) return undefined;
    const at = { start: node.opStart, end: node.opEnd };
    const l = left.type;
    const r = right.type;
    switch (node.op) {
      case 'and':
      case 'or':
        if (!this.isBooleanLike(l)) return this.mismatch(`"${node.op}" needs booleans, not ${formatValueType(l)}`, node.left);
        if (!this.isBooleanLike(r)) return this.mismatch(`"${node.op}" needs booleans, not ${formatValueType(r)}`, node.right);
        return { kind: 'logic', op: node.op, left, right, type: BOOLEAN };
      case '==':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=': {
        // `x == null` is a null test (SQL's `= NULL` would be null for every row).
        if ((node.op === '==' || node.op === '!=') && (left.kind === 'null' || right.kind === 'null')) {
          return { kind: 'is_null', negated: node.op === '!=', operand: left.kind === 'null' ? right : left, type: BOOLEAN };
        }
        const operandType = unify(l, r);
        if (!operandType || operandType.kind === 'list') {
          return this.mismatch(`cannot compare ${formatValueType(l)} with ${formatValueType(r)}`, at);
        }
        if (operandType.kind === 'boolean' && node.op !== '==' && node.op !== '!=') {
          return this.mismatch(`booleans can only be compared with == and !=`, at);
        }
        return { kind: 'compare', op: node.op, left, right, operandType, type: BOOLEAN };
      }
      case '+':
        if ((l.kind === 'string' || l.kind === 'null') && (r.kind === 'string' || r.kind === 'null') && (l.kind === 'string' || r.kind === 'string')) {
          return { kind: 'concat', left, right, type: { kind: 'string' } };
        }
        if (l.kind === 'string' || r.kind === 'string') {
          return this.mismatch(`cannot add ${formatValueType(l)} and ${formatValueType(r)}; convert with to_string() to join text`, at);
        }
        return this.arith(node, left, right, at);
      case '-':
      case '*':
      case '/':
        return this.arith(node, left, right, at);
    }
  }

  /** SQL-like numeric typing; division is always decimal(12), computed exactly. */
  private arith(node: Binary, left: TypedNode, right: TypedNode, at: Span): TypedNode | undefined {
    const op = node.op as '+' | '-' | '*' | '/';
    const l = left.type;
    const r = right.type;
    for (const t of [l, r]) {
      if (!isNumeric(t) && t.kind !== 'null') {
        return this.mismatch(`"${op}" needs numbers, not ${formatValueType(l)} and ${formatValueType(r)}`, at);
      }
    }
    let type: ValueType;
    if (op === '/') type = decimal(DIVISION_SCALE);
    else if (l.kind === 'null' && r.kind === 'null') type = NULL;
    else if (l.kind !== 'decimal' && r.kind !== 'decimal') type = INTEGER;
    else if (op === '*') type = decimal(Math.min(scaleOf(l) + scaleOf(r), MAX_SCALE));
    else type = decimal(Math.max(scaleOf(l), scaleOf(r)));
    return { kind: 'arith', op, left, right, type };
  }

  private inList(node: InList): TypedNode | undefined {
    const value = this.check(node.value);
    const items = node.list.items.map((item) => this.check(item));
    if (!value || !items.every((i): i is TypedNode => i !== undefined)) return undefined;
    const keyword = node.negated ? 'not in' : 'in';
    if (items.length === 0) return this.mismatch(`"${keyword}" needs at least one value in the list`, node.list);
    for (const [i, item] of items.entries()) {
      if (item.kind === 'null') {
        // SQL's `x NOT IN (…, NULL)` is never true: a trap, so null is not allowed in the list.
        return this.mismatch(`null cannot be in a list; test it with "== null"`, node.list.items[i]!);
      }
      const t = unify(value.type, item.type);
      if (!t || t.kind === 'list') {
        return this.mismatch(`cannot look for ${formatValueType(value.type)} among ${formatValueType(item.type)} values`, node.list.items[i]!);
      }
    }
    const operandType = unifyAll([value.type, ...items.map((i) => i.type)]);
    if (!operandType) return this.mismatch(`the list values must share one type`, node.list);
    return { kind: 'in', negated: node.negated, value, items, operandType, type: BOOLEAN };
  }

  private call(node: Call): TypedNode | undefined {
    const fn = getFunction(node.name);
    const nameSpan = { start: node.start, end: node.nameEnd };
    const checked = node.args.map((a) => this.check(a));
    if (!fn) {
      const hint = suggest(node.name, FUNCTIONS.keys());
      return this.fail('expr_unknown_function', `unknown function ${node.name}()${hint ? ` (did you mean ${hint}()?)` : ''}`, nameSpan);
    }
    if (!checked.every((a): a is TypedNode => a !== undefined)) return undefined;

    const { min, max } = arity(fn.params);
    let args = checked;
    let zone: string | undefined;
    if (fn.zoned) {
      const zoneGiven = args.length === max + 1;
      const zoneNode = zoneGiven ? node.args[max]! : nameSpan;
      zone = zoneGiven ? this.zoneArgument(fn, args[max]!, zoneNode) : this.rulesetZone(zoneNode);
      if (zoneGiven) args = args.slice(0, max);
      if (zone === undefined) return undefined;
    }
    if (args.length < min || args.length > max) {
      const most = fn.zoned ? max + 1 : max;
      const expected = min === most ? `${min}` : most === Infinity ? `at least ${min}` : `${min} to ${most}`;
      const where = args.length > most ? { start: node.args[most]!.start, end: node.args[node.args.length - 1]!.end } : node;
      return this.fail('expr_arg_count', `${fn.name}() takes ${expected} argument${expected === '1' ? '' : 's'}, not ${args.length}: ${signatureOf(fn)}`, where);
    }
    for (const [i, a] of args.entries()) {
      const param = fn.params[Math.min(i, fn.params.length - 1)]!;
      const bad = argumentProblem(fn, param, a, i);
      if (bad) return this.fail('expr_arg_type', bad, node.args[i]!);
    }
    const invalid = fn.validate?.(args);
    if (invalid) return this.fail('expr_literal', `${fn.name}(): ${invalid[1]}`, node.args[invalid[0]]!);
    const type = fn.result(args);
    if (typeof type === 'string') return this.fail('expr_arg_type', type, node);
    return { kind: 'call', fn, args, type, ...(zone !== undefined ? { zone } : {}) };
  }

  private zoneArgument(fn: FunctionDef, arg: TypedNode, at: Span): string | undefined {
    const name = literalString(arg);
    if (name === undefined) {
      this.fail('expr_arg_type', `the last argument of ${fn.name}() names a time zone and must be a string literal such as "Europe/Paris"`, at);
      return undefined;
    }
    const zone = resolveTimeZone(name);
    if (!zone) this.fail('expr_literal', `unknown time zone "${name}"${didYouMean(suggest(name, timeZoneNames()))}`, at);
    return zone;
  }

  private rulesetZone(at: Span): string | undefined {
    const zone = resolveTimeZone(this.options.timezone);
    if (!zone) this.fail('expr_literal', `the ruleset time zone "${this.options.timezone}" is not a known IANA time zone`, at);
    return zone;
  }

  private isBooleanLike(t: ValueType): boolean {
    return t.kind === 'boolean' || t.kind === 'null';
  }

  private mismatch(message: string, at: Span): undefined {
    return this.fail('expr_type_mismatch', message, at);
  }

  private fail(code: ExprProblemCode, message: string, at: Span): undefined {
    this.problems.push(problem(code, message, at));
    return undefined;
  }
}

function arity(params: readonly ParamSpec[]): { min: number; max: number } {
  const min = params.filter((p) => !p.optional).length;
  const max = params.some((p) => p.repeats) ? Infinity : params.length;
  return { min, max };
}

function argumentProblem(fn: FunctionDef, param: ParamSpec, arg: TypedNode, index: number): string | undefined {
  const t = arg.type;
  const which = `${fn.name}() argument ${index + 1} (${param.name})`;
  if (param.literal) {
    const literalKind = param.accepts.includes('string') ? 'string' : 'integer';
    if (arg.kind !== literalKind) return `${which} must be written as ${literalKind === 'string' ? 'a string' : 'an integer'} literal`;
    return undefined;
  }
  if (t.kind === 'null') return undefined;
  const ok = param.accepts.some((a) => (a === 'any' ? t.kind !== 'list' : a === 'numeric' ? isNumeric(t) : a === t.kind));
  if (ok) return undefined;
  return `${which} must be ${param.accepts.join(' or ')}, not ${formatValueType(t)}`;
}
