/**
 * Parses expression text into our AST with jsep. jsep is a global singleton: it is configured once,
 * here, at module load, with exactly the operators of the language. Its parser class is extended (not
 * patched) so that only our parses get character positions, strict number and string literals, and
 * errors for syntax the language does not have (member access, compound statements, assignment).
 */
import jsep from 'jsep';
import type { ExprProblem } from './api.js';
import type { BinaryOp, Expr, ListLit, Span } from './ast.js';
import { problem } from './problems.js';

// ---------------------------------------------------------------------------------------------
// jsep configuration (global, done once)

/** Precedence as in SQL: or < and < equality < comparison and `in` < additive < multiplicative. */
const BINARY_PRECEDENCE: ReadonlyArray<[string, number]> = [
  ['||', 1], ['or', 1],
  ['&&', 2], ['and', 2],
  ['==', 6], ['!=', 6],
  ['<', 7], ['<=', 7], ['>', 7], ['>=', 7], ['in', 7], ['not in', 7],
  ['+', 9], ['-', 9],
  ['*', 10], ['/', 10],
];
const SUPPORTED_SYMBOL_OPS = BINARY_PRECEDENCE.map(([op]) => op).filter((op) => !/^[a-z]/.test(op));

/** Operators people type from other languages, with what to write instead. Longest first. */
const FOREIGN_OPERATORS: ReadonlyArray<[string, string]> = [
  ['>>>', 'bitwise operators are not part of the language'],
  ['===', 'use == to compare'],
  ['!==', 'use != to compare'],
  ['<>', 'use != for "not equal"'],
  ['**', 'there is no power operator'],
  ['??', 'use coalesce(a, b) for a default value'],
  ['<<', 'bitwise operators are not part of the language'],
  ['>>', 'bitwise operators are not part of the language'],
  ['=', '"=" would assign; use == to compare'],
  ['%', 'the % operator is not part of the language'],
  ['&', 'use && (or "and") for "and"'],
  ['|', 'use || (or "or") for "or"'],
  ['^', 'bitwise operators are not part of the language'],
];

// ---------------------------------------------------------------------------------------------
// jsep's parser class: its typings describe only the function form, so we type what we use.

type JsepNode = jsep.Expression;

interface JsepParser {
  expr: string;
  index: number;
  readonly char: string;
  readonly code: number;
  parse(): JsepNode;
  gobbleSpaces(): void;
  gobbleExpressions(untilICode?: number): JsepNode[];
  gobbleExpression(): JsepNode | false;
  gobbleBinaryOp(): string | false;
  gobbleToken(): JsepNode | false;
  gobbleTokenProperty(node: JsepNode): JsepNode;
  gobbleNumericLiteral(): JsepNode;
  gobbleStringLiteral(): JsepNode;
  gobbleArguments(untilICode: number): Array<JsepNode | null>;
  throwError(message: string): never;
}
type JsepParserClass = (new (expr: string) => JsepParser) & {
  this_str: string;
  binary_ops: Record<string, number>;
  unary_ops: Record<string, number>;
};

// The class holds the live configuration (`jsep.binary_ops` is only a copy of the initial object).
const JsepParserBase = (jsep as unknown as { Jsep: JsepParserClass }).Jsep;
for (const op of Object.keys(JsepParserBase.binary_ops)) jsep.removeBinaryOp(op);
for (const [op, precedence] of BINARY_PRECEDENCE) jsep.addBinaryOp(op, precedence);
for (const op of Object.keys(JsepParserBase.unary_ops)) jsep.removeUnaryOp(op);
for (const op of ['-', '!', 'not']) jsep.addUnaryOp(op);
// Field names are [A-Za-z_][A-Za-z0-9_]*: `$` is not an identifier character here.
jsep.removeIdentifierChar('$');
// `this` is an ordinary field name in our language, not a keyword.
JsepParserBase.this_str = '';

const CODE = { period: 46, oparen: 40, cparen: 41, obrack: 91, qumark: 63 } as const;
const isDigit = (code: number) => code >= 48 && code <= 57;
const isIdentPart = (code: number) =>
  (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || isDigit(code) || code >= 128;
const STRING_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r' };
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Words jsep would otherwise read as field names when they stand where a value should be. */
const OPERATOR_WORDS = new Set(['and', 'or', 'in']);

class ExprParser extends JsepParserBase {
  /** Exactly one expression: jsep alone would accept `a; b` or `a b` as a compound. */
  override gobbleExpressions(untilICode?: number): JsepNode[] {
    const node = this.gobbleExpression();
    if (this.index < this.expr.length && this.code !== untilICode) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.expr.slice(this.index))?.[0] ?? this.char;
      this.throwError(`unexpected "${word}": expected an operator or the end of the expression`);
    }
    return node ? [node] : [];
  }

  override gobbleBinaryOp(): string | false {
    this.gobbleSpaces();
    const rest = this.expr.slice(this.index);
    // `not in` may be written with any spacing, so it is matched here rather than as a fixed string.
    const notIn = /^not\s+in(?![A-Za-z0-9_])/.exec(rest);
    if (notIn) {
      this.index += notIn[0].length;
      return 'not in';
    }
    const foreign = FOREIGN_OPERATORS.find(
      ([op]) => rest.startsWith(op) && !SUPPORTED_SYMBOL_OPS.some((s) => s.length >= op.length && rest.startsWith(s)),
    );
    if (foreign) this.failAt(`unknown operator "${foreign[0]}": ${foreign[1]}`, foreign[0].length);
    return super.gobbleBinaryOp();
  }

  /** Like jsep's throwError, but the problem covers `length` characters (a whole operator). */
  private failAt(message: string, length: number): never {
    throw Object.assign(new Error(message), { index: this.index, description: message, length });
  }

  /** Every token gets its character range; nodes built above tokens get theirs from their children. */
  override gobbleToken(): JsepNode | false {
    this.gobbleSpaces();
    const start = this.index;
    if (this.char === '+' || this.char === '~') this.throwError(`unknown operator "${this.char}" before a value`);
    const node = super.gobbleToken();
    if (node && node.type === 'Identifier' && OPERATOR_WORDS.has(String(node['name']))) {
      this.index = start;
      this.failAt(`"${String(node['name'])}" is an operator: it needs a value on each side`, String(node['name']).length);
    }
    if (node && node['start'] === undefined) {
      let end = this.index;
      while (end > start && /\s/.test(this.expr.charAt(end - 1))) end--;
      node['start'] = start;
      node['end'] = end;
    }
    return node;
  }

  /** Only `name(args)` may follow a token; member access and indexing are not part of the language. */
  override gobbleTokenProperty(node: JsepNode): JsepNode {
    this.gobbleSpaces();
    if (this.code === CODE.oparen) {
      if (node.type !== 'Identifier') this.throwError('only functions can be called, by name, e.g. lower(region)');
      this.index++;
      node = { type: 'CallExpression', arguments: this.gobbleArguments(CODE.cparen), callee: node };
      this.gobbleSpaces();
    }
    const next = this.expr.charCodeAt(this.index + 1);
    if (this.code === CODE.period || this.code === CODE.obrack || (this.code === CODE.qumark && next === CODE.period)) {
      this.throwError('fields are plain names: member access (a.b) and indexing (a[0]) are not part of the language');
    }
    if (this.code === CODE.oparen) this.throwError('only functions can be called, by name, e.g. lower(region)');
    return node;
  }

  /** Digits with an optional fraction, kept as text: `0.0100` must keep its scale, never become a float. */
  override gobbleNumericLiteral(): JsepNode {
    const start = this.index;
    const gobbleDigits = () => {
      while (isDigit(this.code)) this.index++;
    };
    gobbleDigits();
    if (this.index === start) this.throwError('write a digit before the decimal point (0.5, not .5)');
    if (this.code === CODE.period) {
      this.index++;
      const fraction = this.index;
      gobbleDigits();
      if (this.index === fraction) this.throwError('a decimal point must be followed by digits (write 1.0 or 1)');
    }
    if (isIdentPart(this.code) || this.code === CODE.period) {
      this.throwError('a number is digits with an optional decimal part (no exponent, no letters)');
    }
    const raw = this.expr.slice(start, this.index);
    return { type: 'NumberLiteral', raw };
  }

  /**
   * Strings in single or double quotes. `\\`, `\'`, `\"`, `\n`, `\t`, `\r` are escapes; a backslash
   * before anything else is kept, so a regex like "\d+" means what it says.
   */
  override gobbleStringLiteral(): JsepNode {
    const start = this.index;
    const quote = this.char;
    this.index++;
    let value = '';
    while (this.index < this.expr.length) {
      const ch = this.char;
      this.index++;
      if (ch === quote) return { type: 'Literal', value, raw: this.expr.slice(start, this.index) };
      if (ch === '\\' && this.index < this.expr.length) {
        const escaped = this.char;
        this.index++;
        value += STRING_ESCAPES[escaped] ?? `\\${escaped}`;
      } else {
        value += ch;
      }
    }
    this.index = start;
    return this.throwError(`unclosed string: add the closing ${quote}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Entry point and conversion to our AST

export interface ParseResult {
  ast?: Expr;
  problems: ExprProblem[];
}

export function parseExpr(source: string): ParseResult {
  let root: JsepNode;
  try {
    root = new ExprParser(source).parse();
  } catch (e) {
    const err = e as Error & { index?: number; description?: string; length?: number };
    const at = Math.min(err.index ?? 0, source.length);
    const message = err.description ?? err.message.replace(/ at character \d+$/, '');
    return { problems: [problem('expr_syntax', message, { start: at, end: Math.min(at + (err.length ?? 1), source.length) })] };
  }
  if (root.type === 'Compound') {
    return { problems: [problem('expr_syntax', 'the expression is empty', { start: 0, end: source.length })] };
  }
  const problems: ExprProblem[] = [];
  const ast = new Converter(source, problems).convert(root);
  return problems.length || !ast ? { problems } : { ast, problems };
}

const BINARY_OPS: Readonly<Record<string, BinaryOp>> = {
  '==': '==', '!=': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=',
  '+': '+', '-': '-', '*': '*', '/': '/',
  '&&': 'and', and: 'and', '||': 'or', or: 'or',
};

class Converter {
  constructor(
    private readonly source: string,
    private readonly problems: ExprProblem[],
  ) {}

  convert(node: JsepNode): Expr | undefined {
    const span = this.ownSpan(node);
    switch (node.type) {
      case 'NumberLiteral': {
        const text = String(node['raw']);
        return text.includes('.') ? { kind: 'decimal', text, ...span! } : { kind: 'integer', text, ...span! };
      }
      case 'Literal': {
        const value = node['value'];
        if (typeof value === 'string') return { kind: 'string', value, ...span! };
        if (typeof value === 'boolean') return { kind: 'boolean', value, ...span! };
        if (value === null) return { kind: 'null', ...span! };
        return this.fail(`unsupported literal ${String(node['raw'])}`, span!);
      }
      case 'Identifier': {
        const name = String(node['name']);
        if (!FIELD_NAME.test(name)) return this.fail(`"${name}" is not a valid name: use letters A-Z, digits and _`, span!);
        return { kind: 'field', name, ...span! };
      }
      case 'ArrayExpression':
        return this.list(node, span!);
      case 'UnaryExpression':
        return this.unary(node, span!);
      case 'BinaryExpression':
        return this.binary(node, span);
      case 'ConditionalExpression': {
        const test = this.convert(node['test'] as JsepNode);
        const then = this.convert(node['consequent'] as JsepNode);
        const otherwise = this.convert(node['alternate'] as JsepNode);
        if (!test || !then || !otherwise) return undefined;
        return { kind: 'conditional', test, then, otherwise, ...(span ?? { start: test.start, end: otherwise.end }) };
      }
      case 'CallExpression': {
        const name = String((node['callee'] as JsepNode)['name']);
        const args = (node['arguments'] as JsepNode[]).map((a) => this.convert(a));
        if (!FIELD_NAME.test(name)) return this.fail(`"${name}" is not a valid function name`, span!);
        if (!args.every((a): a is Expr => a !== undefined)) return undefined;
        return { kind: 'call', name, nameEnd: span!.start + name.length, args, ...span! };
      }
      default:
        return this.fail(`${node.type} is not part of the expression language`, span ?? { start: 0, end: this.source.length });
    }
  }

  private list(node: JsepNode, span: Span): ListLit | undefined {
    const elements = node['elements'] as Array<JsepNode | null>;
    if (elements.some((e) => e === null)) return this.fail('a list has an empty element (two commas in a row)', span);
    const items = elements.map((e) => this.convert(e!));
    if (!items.every((i): i is Expr => i !== undefined)) return undefined;
    return { kind: 'list', items, ...span };
  }

  private unary(node: JsepNode, span: Span): Expr | undefined {
    const operand = this.convert(node['argument'] as JsepNode);
    if (!operand) return undefined;
    if (node['operator'] !== '-') return { kind: 'unary', op: 'not', operand, ...span };
    // A minus before a number literal is part of the literal: `-5` is the integer -5, so even the
    // smallest BIGINT can be written, and the SQL stays a plain literal.
    if (operand.kind === 'integer' || operand.kind === 'decimal') {
      const text = operand.text.startsWith('-') ? operand.text.slice(1) : `-${operand.text}`;
      return { ...operand, text, ...span };
    }
    return { kind: 'unary', op: '-', operand, ...span };
  }

  private binary(node: JsepNode, parenthesized: Span | undefined): Expr | undefined {
    const left = this.convert(node['left'] as JsepNode);
    const right = this.convert(node['right'] as JsepNode);
    if (!left || !right) return undefined;
    const operator = String(node['operator']);
    const span = parenthesized ?? { start: left.start, end: right.end };
    const { opStart, opEnd } = this.operatorAt(left.end, operator);
    if (operator === 'in' || operator === 'not in') {
      if (right.kind !== 'list') {
        return this.fail(`the right side of "${operator}" must be a list literal, e.g. ["a", "b"]`, right);
      }
      return { kind: 'in', negated: operator === 'not in', value: left, list: right, opStart, opEnd, ...span };
    }
    const op = BINARY_OPS[operator];
    if (!op) return this.fail(`unknown operator "${operator}"`, { start: opStart, end: opEnd });
    return { kind: 'binary', op, left, right, opStart, opEnd, ...span };
  }

  /** The operator sits after the left operand, past spaces and closing parentheses. */
  private operatorAt(from: number, operator: string): { opStart: number; opEnd: number } {
    let at = from;
    while (at < this.source.length && /[\s)]/.test(this.source.charAt(at))) at++;
    const length = operator === 'not in' ? (/^not\s+in/.exec(this.source.slice(at))?.[0].length ?? 6) : operator.length;
    return { opStart: at, opEnd: at + length };
  }

  /** The range recorded while parsing (tokens, parenthesized groups), if any. */
  private ownSpan(node: JsepNode): Span | undefined {
    const start = node['start'];
    const end = node['end'];
    return typeof start === 'number' && typeof end === 'number' ? { start, end } : undefined;
  }

  private fail(message: string, at: Span): undefined {
    this.problems.push(problem('expr_syntax', message, at));
    return undefined;
  }
}
