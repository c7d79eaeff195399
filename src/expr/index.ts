/**
 * The expression language: parsed with jsep into our own AST (with character offsets), type-checked against
 * the fields in scope, emitted as SQL with every identifier and string quoted. Nothing in an expression can
 * become raw SQL: identifiers must be known fields, functions come from a fixed catalogue, literals are quoted.
 */
import jsep from 'jsep';
import type { ExprOptions, ExprProblem, Scope, ValueType } from './api.js';
import type { SqlDialect } from './dialect.js';
import { suggest } from './suggest.js';

export type { ExprOptions, ExprProblem, Scope, ValueType } from './api.js';

export type Node =
  | { type: 'lit'; kind: 'string' | 'integer' | 'decimal' | 'boolean' | 'null'; text: string; start: number; end: number }
  | { type: 'field'; name: string; start: number; end: number }
  | { type: 'list'; items: Node[]; start: number; end: number }
  | { type: 'unary'; op: '-' | '!'; arg: Node; start: number; end: number }
  | { type: 'binary'; op: string; left: Node; right: Node; start: number; end: number }
  | { type: 'cond'; test: Node; then: Node; else: Node; start: number; end: number }
  | { type: 'call'; fn: string; args: Node[]; start: number; end: number };

export interface TypedExpr {
  source: string;
  ast: Node;
  type: ValueType;
  /** Time zone the time functions use. */
  timezone: string;
}

// jsep is a global singleton: configure it once. Word operators are spelled as in most rule languages.
jsep.addBinaryOp('in', 6);
jsep.addBinaryOp('not_in', 6);
jsep.addBinaryOp('and', 2);
jsep.addBinaryOp('or', 1);
jsep.addUnaryOp('not');
jsep.removeBinaryOp('===');
jsep.removeBinaryOp('!==');
jsep.removeBinaryOp('>>>');
jsep.removeBinaryOp('<<');
jsep.removeBinaryOp('>>');
jsep.removeBinaryOp('|');
jsep.removeBinaryOp('^');
jsep.removeBinaryOp('&');
jsep.removeUnaryOp('~');
jsep.removeUnaryOp('+');
jsep.addLiteral('null', null);

type JsepNode = jsep.Expression & Record<string, unknown>;

/** Character ranges are found by searching the source for each node's text from a running cursor. */
function convert(node: JsepNode, source: string, problems: ExprProblem[]): Node | undefined {
  const span = locate(node, source);
  const fail = (message: string): undefined => {
    problems.push({ code: 'expr_syntax', message, start: span.start, end: span.end });
    return undefined;
  };
  switch (node.type) {
    case 'Literal': {
      const raw = String(node.raw);
      if (node.value === null) return { type: 'lit', kind: 'null', text: 'null', ...span };
      if (typeof node.value === 'boolean') return { type: 'lit', kind: 'boolean', text: raw, ...span };
      if (typeof node.value === 'string') return { type: 'lit', kind: 'string', text: node.value, ...span };
      if (/^\d+$/.test(raw)) return { type: 'lit', kind: 'integer', text: raw, ...span };
      if (/^(\d+\.\d*|\.\d+)$/.test(raw)) return { type: 'lit', kind: 'decimal', text: raw, ...span };
      return fail(`unsupported number ${raw}: write digits with an optional decimal point`);
    }
    case 'Identifier':
      return { type: 'field', name: String(node.name), ...span };
    case 'ArrayExpression': {
      const items = (node.elements as JsepNode[]).map((e) => convert(e, source, problems));
      return items.every(Boolean) ? { type: 'list', items: items as Node[], ...span } : undefined;
    }
    case 'UnaryExpression': {
      const arg = convert(node.argument as JsepNode, source, problems);
      const op = node.operator === '-' ? '-' : node.operator === '!' || node.operator === 'not' ? '!' : undefined;
      if (!op) return fail(`unknown operator ${String(node.operator)}`);
      return arg && { type: 'unary', op, arg, ...span };
    }
    case 'BinaryExpression': {
      const left = convert(node.left as JsepNode, source, problems);
      const right = convert(node.right as JsepNode, source, problems);
      const op = ({ and: '&&', or: '||' } as Record<string, string>)[String(node.operator)] ?? String(node.operator);
      if (!['==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '&&', '||', 'in', 'not_in'].includes(op)) return fail(`unknown operator ${op}`);
      return left && right && { type: 'binary', op, left, right, ...span };
    }
    case 'ConditionalExpression': {
      const test = convert(node.test as JsepNode, source, problems);
      const a = convert(node.consequent as JsepNode, source, problems);
      const b = convert(node.alternate as JsepNode, source, problems);
      return test && a && b && { type: 'cond', test, then: a, else: b, ...span };
    }
    case 'CallExpression': {
      const callee = node.callee as JsepNode;
      if (callee.type !== 'Identifier') return fail('only functions by name can be called, e.g. lower(region)');
      const args = (node.arguments as JsepNode[]).map((a) => convert(a, source, problems));
      return args.every(Boolean) ? { type: 'call', fn: String(callee.name), args: args as Node[], ...span } : undefined;
    }
    default:
      return fail(`${node.type === 'MemberExpression' ? 'member access (a.b, a[0])' : node.type === 'Compound' ? 'several expressions' : String(node.type)} is not part of the expression language`);
  }
}

/** jsep does not keep positions; recover them well enough to point at the right token. */
function locate(node: JsepNode, source: string): { start: number; end: number } {
  const token = node.type === 'Identifier' ? String(node.name) : node.type === 'Literal' ? String(node.raw) : node.type === 'CallExpression' ? String((node.callee as JsepNode).name ?? '') : undefined;
  if (token) {
    const at = source.indexOf(token);
    if (at >= 0) return { start: at, end: at + token.length };
  }
  if (node.type === 'BinaryExpression') {
    const at = source.indexOf(String(node.operator));
    if (at >= 0) return { start: at, end: at + String(node.operator).length };
  }
  return { start: 0, end: source.length };
}

function parse(source: string, problems: ExprProblem[]): Node | undefined {
  // `not in` is one operator; jsep sees words, so join it first (outside string literals it is unambiguous).
  const prepared = source.replace(/\bnot\s+in\b/g, 'not_in');
  try {
    return convert(jsep(prepared) as JsepNode, source, problems);
  } catch (e) {
    const err = e as Error & { index?: number };
    const at = Math.min(err.index ?? 0, source.length);
    problems.push({ code: 'expr_syntax', message: err.message.replace(/ at character \d+/, ''), start: at, end: at + 1 });
    return undefined;
  }
}

// ------------------------------------------------------------------------------------------------ types
const T = {
  string: { kind: 'string' } as ValueType,
  integer: { kind: 'integer' } as ValueType,
  boolean: { kind: 'boolean' } as ValueType,
  timestamp: { kind: 'timestamp' } as ValueType,
  null: { kind: 'null' } as ValueType,
};
const isNum = (t: ValueType) => t.kind === 'integer' || t.kind === 'decimal' || t.kind === 'null';
const scaleOf = (t: ValueType) => (t.kind === 'decimal' ? t.scale : 0);

export function formatValueType(t: ValueType): string {
  return t.kind === 'decimal' ? `decimal(${t.scale})` : t.kind === 'list' ? `list of ${formatValueType(t.element)}` : t.kind;
}

interface FunctionDef {
  doc: string;
  args: (ValueType['kind'] | 'any' | 'number')[];
  variadic?: boolean;
  result: (args: ValueType[]) => ValueType;
  sql: (args: string[], ctx: { tz: string; dialect: SqlDialect }) => string;
}

const sameAsFirst = (a: ValueType[]) => a.find((t) => t.kind !== 'null') ?? T.null;
const local = (a: string[], ctx: { tz: string; dialect: SqlDialect }) => ctx.dialect.toLocal(a[0]!, ctx.tz);

/** The function catalogue: the only functions an expression can call. */
export const FUNCTIONS: Readonly<Record<string, FunctionDef>> = {
  coalesce: { doc: 'first non-null argument', args: ['any'], variadic: true, result: sameAsFirst, sql: (a) => `coalesce(${a.join(', ')})` },
  lower: { doc: 'lower case', args: ['string'], result: () => T.string, sql: (a) => `lower(${a[0]})` },
  upper: { doc: 'upper case', args: ['string'], result: () => T.string, sql: (a) => `upper(${a[0]})` },
  trim: { doc: 'without surrounding spaces', args: ['string'], result: () => T.string, sql: (a) => `trim(${a[0]})` },
  length: { doc: 'number of characters', args: ['string'], result: () => T.integer, sql: (a) => `CAST(length(${a[0]}) AS BIGINT)` },
  concat: { doc: 'texts joined', args: ['any'], variadic: true, result: () => T.string, sql: (a) => `concat(${a.join(', ')})` },
  starts_with: { doc: 'text starts with prefix', args: ['string', 'string'], result: () => T.boolean, sql: (a) => `starts_with(${a[0]}, ${a[1]})` },
  ends_with: { doc: 'text ends with suffix', args: ['string', 'string'], result: () => T.boolean, sql: (a) => `ends_with(${a[0]}, ${a[1]})` },
  contains: { doc: 'text contains part', args: ['string', 'string'], result: () => T.boolean, sql: (a) => `contains(${a[0]}, ${a[1]})` },
  is_null: { doc: 'value is missing', args: ['any'], result: () => T.boolean, sql: (a) => `(${a[0]} IS NULL)` },
  abs: { doc: 'absolute value', args: ['number'], result: sameAsFirst, sql: (a) => `abs(${a[0]})` },
  least: { doc: 'smallest argument', args: ['any'], variadic: true, result: sameAsFirst, sql: (a) => `least(${a.join(', ')})` },
  greatest: { doc: 'largest argument', args: ['any'], variadic: true, result: sameAsFirst, sql: (a) => `greatest(${a.join(', ')})` },
  hour: { doc: 'hour 0–23 in the ruleset time zone', args: ['timestamp'], result: () => T.integer, sql: (a, c) => `CAST(hour(${local(a, c)}) AS BIGINT)` },
  minute: { doc: 'minute 0–59', args: ['timestamp'], result: () => T.integer, sql: (a, c) => `CAST(minute(${local(a, c)}) AS BIGINT)` },
  weekday: { doc: 'ISO weekday, 1 = Monday … 7 = Sunday, in the ruleset time zone', args: ['timestamp'], result: () => T.integer, sql: (a, c) => `CAST(isodow(${local(a, c)}) AS BIGINT)` },
  day: { doc: 'day of month', args: ['timestamp'], result: () => T.integer, sql: (a, c) => `CAST(day(${local(a, c)}) AS BIGINT)` },
  month: { doc: 'month 1–12', args: ['timestamp'], result: () => T.integer, sql: (a, c) => `CAST(month(${local(a, c)}) AS BIGINT)` },
  year: { doc: 'year', args: ['timestamp'], result: () => T.integer, sql: (a, c) => `CAST(year(${local(a, c)}) AS BIGINT)` },
};

interface Checked {
  type: ValueType;
}

function check(node: Node, scope: Scope, problems: ExprProblem[]): Checked {
  const fail = (message: string, at: Node = node, code = 'expr_type'): Checked => {
    problems.push({ code, message, start: at.start, end: at.end });
    return { type: T.null };
  };
  switch (node.type) {
    case 'lit':
      return { type: node.kind === 'decimal' ? { kind: 'decimal', scale: node.text.split('.')[1]?.length ?? 0 } : ({ kind: node.kind } as ValueType) };
    case 'field': {
      const t = scope.get(node.name);
      if (t) return { type: t };
      const hint = suggest(node.name, [...scope.keys()]);
      return fail(`unknown field "${node.name}"${hint ? ` (did you mean "${hint}"?)` : ''}`, node, 'unknown_field');
    }
    case 'list': {
      const types = node.items.map((i) => check(i, scope, problems).type);
      return { type: { kind: 'list', element: sameAsFirst(types) } };
    }
    case 'unary': {
      const t = check(node.arg, scope, problems).type;
      if (node.op === '!') return t.kind === 'boolean' || t.kind === 'null' ? { type: T.boolean } : fail(`"not" needs a boolean, not ${formatValueType(t)}`, node.arg);
      return isNum(t) ? { type: t } : fail(`"-" needs a number, not ${formatValueType(t)}`, node.arg);
    }
    case 'cond': {
      const test = check(node.test, scope, problems).type;
      if (test.kind !== 'boolean' && test.kind !== 'null') fail(`the condition must be a boolean, not ${formatValueType(test)}`, node.test);
      const a = check(node.then, scope, problems).type;
      const b = check(node.else, scope, problems).type;
      const merged = unify(a, b);
      return merged ? { type: merged } : fail(`both branches must have one type (${formatValueType(a)} and ${formatValueType(b)})`);
    }
    case 'call': {
      const def = FUNCTIONS[node.fn];
      if (!def) {
        const hint = suggest(node.fn, Object.keys(FUNCTIONS));
        return fail(`unknown function ${node.fn}()${hint ? ` (did you mean ${hint}()?)` : ''}`, node, 'unknown_function');
      }
      const types = node.args.map((a) => check(a, scope, problems).type);
      if (!def.variadic && types.length !== def.args.length) return fail(`${node.fn}() takes ${def.args.length} argument${def.args.length === 1 ? '' : 's'}, not ${types.length}`);
      if (def.variadic && types.length === 0) return fail(`${node.fn}() needs at least one argument`);
      types.forEach((t, i) => {
        const want = def.args[Math.min(i, def.args.length - 1)]!;
        const ok = want === 'any' || t.kind === 'null' || t.kind === want || (want === 'number' && isNum(t));
        if (!ok) fail(`argument ${i + 1} of ${node.fn}() must be ${want}, not ${formatValueType(t)}`, node.args[i]);
      });
      return { type: def.result(types) };
    }
    case 'binary': {
      const l = check(node.left, scope, problems).type;
      const r = check(node.right, scope, problems).type;
      switch (node.op) {
        case '&&':
        case '||':
          for (const [t, n] of [[l, node.left], [r, node.right]] as const) if (t.kind !== 'boolean' && t.kind !== 'null') fail(`"${node.op}" needs booleans, not ${formatValueType(t)}`, n);
          return { type: T.boolean };
        case 'in':
        case 'not_in':
          if (node.right.type !== 'list') return fail('"in" needs a list on its right, e.g. region in ["us-east", "eu-west"]', node.right);
          if (r.kind === 'list' && r.element.kind !== 'null' && l.kind !== 'null' && !unify(l, r.element)) fail(`cannot look for a ${formatValueType(l)} in a list of ${formatValueType(r.element)}`);
          return { type: T.boolean };
        case '==':
        case '!=':
        case '<':
        case '<=':
        case '>':
        case '>=':
          if (!unify(l, r)) return fail(`cannot compare ${formatValueType(l)} with ${formatValueType(r)}`);
          return { type: T.boolean };
        case '+':
          if (l.kind === 'string' || r.kind === 'string') {
            node.op = 'concat'; // emitted as SQL string concatenation
            return { type: T.string };
          }
        // falls through
        case '-':
        case '*':
        case '%': {
          if (!isNum(l) || !isNum(r)) return fail(`"${node.op}" needs numbers (${formatValueType(l)} and ${formatValueType(r)})`);
          if (l.kind === 'integer' && r.kind === 'integer') return { type: T.integer };
          const scale = node.op === '*' ? Math.min(scaleOf(l) + scaleOf(r), 18) : Math.max(scaleOf(l), scaleOf(r));
          return { type: { kind: 'decimal', scale } };
        }
        case '/':
          return fail('division is not exact in SQL engines; multiply by a decimal factor instead (e.g. bytes * 0.000000001)', node, 'expr_division');
      }
      return fail(`unknown operator ${node.op}`);
    }
  }
}

function unify(a: ValueType, b: ValueType): ValueType | undefined {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (isNum(a) && isNum(b)) return a.kind === 'integer' && b.kind === 'integer' ? a : { kind: 'decimal', scale: Math.max(scaleOf(a), scaleOf(b)) };
  return a.kind === b.kind ? a : undefined;
}

/** Parses and type-checks `source`; `expected` adds a problem when the result has another type. */
export function compileExpr(source: string, scope: Scope, options: ExprOptions, expected?: ValueType['kind']): { expr?: TypedExpr; problems: ExprProblem[] } {
  const problems: ExprProblem[] = [];
  if (source.trim() === '') return { problems: [{ code: 'expr_syntax', message: 'the expression is empty', start: 0, end: 0 }] };
  const ast = parse(source, problems);
  if (!ast) return { problems };
  const { type } = check(ast, scope, problems);
  if (!problems.length && expected && type.kind !== expected && type.kind !== 'null') {
    problems.push({ code: 'expr_type', message: `must give a ${expected}, but gives ${formatValueType(type)}`, start: 0, end: source.length });
  }
  return problems.length ? { problems } : { expr: { source, ast, type, timezone: options.timezone }, problems };
}

/** SQL for a checked expression; `columnRef` maps a field name to its (quoted) column. */
export function emitSql(expr: TypedExpr, dialect: SqlDialect, columnRef: (name: string) => string): string {
  const emit = (n: Node): string => {
    switch (n.type) {
      case 'lit':
        if (n.kind === 'string') return dialect.quoteString(n.text);
        if (n.kind === 'null') return 'NULL';
        if (n.kind === 'boolean') return n.text === 'true' ? 'true' : 'false';
        if (n.kind === 'integer') return `CAST(${dialect.quoteString(n.text)} AS BIGINT)`;
        return `CAST(${dialect.quoteString(n.text)} AS DECIMAL(38, ${n.text.split('.')[1]?.length ?? 0}))`;
      case 'field':
        return columnRef(n.name);
      case 'list':
        return n.items.map(emit).join(', ');
      case 'unary':
        return n.op === '!' ? `(NOT ${emit(n.arg)})` : `(- ${emit(n.arg)})`;
      case 'cond':
        return `(CASE WHEN ${emit(n.test)} THEN ${emit(n.then)} ELSE ${emit(n.else)} END)`;
      case 'call':
        return FUNCTIONS[n.fn]!.sql(n.args.map(emit), { tz: expr.timezone, dialect });
      case 'binary': {
        const isNullLit = (x: Node) => x.type === 'lit' && x.kind === 'null';
        if ((n.op === '==' || n.op === '!=') && (isNullLit(n.left) || isNullLit(n.right))) {
          const other = isNullLit(n.left) ? n.right : n.left;
          return `(${emit(other)} IS ${n.op === '==' ? '' : 'NOT '}NULL)`;
        }
        const ops: Record<string, string> = { '==': '=', '!=': '<>', '&&': 'AND', '||': 'OR', in: 'IN', not_in: 'NOT IN' };
        if (n.op === 'in' || n.op === 'not_in') return `(${emit(n.left)} ${ops[n.op]} (${emit(n.right)}))`;
        if (n.op === 'concat') return `(${emit(n.left)} || ${emit(n.right)})`;
        return `(${emit(n.left)} ${ops[n.op] ?? n.op} ${emit(n.right)})`;
      }
    }
  };
  return emit(expr.ast);
}

/** Field names an expression reads. */
export function fieldsUsed(expr: TypedExpr): string[] {
  const out = new Set<string>();
  const walk = (n: Node) => {
    if (n.type === 'field') out.add(n.name);
    else if (n.type === 'list') n.items.forEach(walk);
    else if (n.type === 'unary') walk(n.arg);
    else if (n.type === 'binary') [n.left, n.right].forEach(walk);
    else if (n.type === 'cond') [n.test, n.then, n.else].forEach(walk);
    else if (n.type === 'call') n.args.forEach(walk);
  };
  walk(expr.ast);
  return [...out];
}
