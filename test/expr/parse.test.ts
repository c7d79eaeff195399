import { describe, expect, it } from 'vitest';
import type { Expr } from '../../src/expr/ast.js';
import { parseExpr } from '../../src/expr/parse.js';
import { mark } from './helpers.js';

function parseOk(source: string): Expr {
  const { ast, problems } = parseExpr(source);
  expect(problems).toEqual([]);
  return ast!;
}

/** A compact, position-free rendering of the AST so precedence is easy to read in expectations. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'string':
      return JSON.stringify(e.value);
    case 'integer':
    case 'decimal':
      return e.text;
    case 'boolean':
      return String(e.value);
    case 'null':
      return 'null';
    case 'field':
      return e.name;
    case 'list':
      return `[${e.items.map(show).join(', ')}]`;
    case 'unary':
      return `(${e.op} ${show(e.operand)})`;
    case 'binary':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'in':
      return `(${show(e.value)} ${e.negated ? 'not in' : 'in'} ${show(e.list)})`;
    case 'conditional':
      return `(${show(e.test)} ? ${show(e.then)} : ${show(e.otherwise)})`;
    case 'call':
      return `${e.name}(${e.args.map(show).join(', ')})`;
  }
}

describe('parse: literals', () => {
  it('keeps decimal literals as written, never as JS numbers', () => {
    expect(parseOk('0.0100')).toMatchObject({ kind: 'decimal', text: '0.0100', start: 0, end: 6 });
    expect(parseOk('12')).toMatchObject({ kind: 'integer', text: '12' });
    expect(parseOk('123456789012345678901234567890.123456')).toMatchObject({ kind: 'decimal', text: '123456789012345678901234567890.123456' });
  });

  it('folds a minus into a number literal', () => {
    expect(parseOk('-5')).toMatchObject({ kind: 'integer', text: '-5', start: 0, end: 2 });
    expect(parseOk('- 0.5')).toMatchObject({ kind: 'decimal', text: '-0.5' });
    expect(parseOk('--5')).toMatchObject({ kind: 'integer', text: '5' });
    expect(show(parseOk('-amount'))).toBe('(- amount)');
  });

  it('reads strings in both quotes, with escapes, keeping unknown escapes for regexes', () => {
    expect(parseOk(`'it''s'`.replace("''", "\\'"))).toMatchObject({ kind: 'string', value: "it's" });
    expect(parseOk('"say \\"hi\\""')).toMatchObject({ kind: 'string', value: 'say "hi"' });
    expect(parseOk('"^\\d+$"')).toMatchObject({ kind: 'string', value: '^\\d+$' });
    expect(parseOk('"a\\\\b"')).toMatchObject({ kind: 'string', value: 'a\\b' });
    expect(parseOk('"tab\\there"')).toMatchObject({ kind: 'string', value: 'tab\there' });
  });

  it('reads true, false, null and lists', () => {
    expect(show(parseOk('[true, false, null, "a", 1, 2.5]'))).toBe('[true, false, null, "a", 1, 2.5]');
  });

  it('treats `this` as an ordinary field name', () => {
    expect(parseOk('this')).toMatchObject({ kind: 'field', name: 'this' });
  });
});

describe('parse: operators and precedence', () => {
  it.each([
    ['a + b * c', '(a + (b * c))'],
    ['a - b - c', '((a - b) - c)'],
    ['a / b * c', '((a / b) * c)'],
    ['a + 1 > b * 2', '((a + 1) > (b * 2))'],
    ['a == 1 && b != 2 || c', '(((a == 1) and (b != 2)) or c)'],
    ['a == 1 and b != 2 or c', '(((a == 1) and (b != 2)) or c)'],
    ['a or b and c', '(a or (b and c))'],
    ['!a && not b', '((not a) and (not b))'],
    ['x in ["a", "b"] && y not in [1]', '((x in ["a", "b"]) and (y not in [1]))'],
    ['x not   in ["a"]', '(x not in ["a"])'],
    ['x + 1 in [2, 3]', '((x + 1) in [2, 3])'],
    ['a > 1 ? "big" : "small"', '((a > 1) ? "big" : "small")'],
    ['a ? b : c ? d : e', '(a ? b : (c ? d : e))'],
    ['coalesce(a, if(b, 1, 2))', 'coalesce(a, if(b, 1, 2))'],
    ['(a + b) * c', '((a + b) * c)'],
    ['notes and index', '(notes and index)'],
  ])('%s', (source, expected) => {
    expect(show(parseOk(source))).toBe(expected);
  });
});

describe('parse: positions', () => {
  it('gives every node its character range', () => {
    const e = parseOk('lower(name) == "x"');
    expect(e).toMatchObject({ kind: 'binary', start: 0, end: 18, opStart: 12, opEnd: 14 });
    if (e.kind !== 'binary' || e.left.kind !== 'call') throw new Error('shape');
    expect(e.left).toMatchObject({ start: 0, end: 11, nameEnd: 5 });
    expect(e.left.args[0]).toMatchObject({ kind: 'field', start: 6, end: 10 });
    expect(e.right).toMatchObject({ start: 15, end: 18 });
  });

  it('finds the operator after a parenthesized operand', () => {
    const e = parseOk('(a)  *  (b + c)');
    expect(e).toMatchObject({ kind: 'binary', op: '*', opStart: 5, opEnd: 6 });
  });

  it('spans `not in` written with extra spaces', () => {
    expect(parseOk('x  not   in ["a"]')).toMatchObject({ kind: 'in', opStart: 3, opEnd: 11 });
  });
});

describe('parse: errors point at the character', () => {
  it.each([
    ['a«.»b', /member access/],
    ['a«[»0]', /indexing/],
    ['f(x)«(»y)', /only functions can be called/],
    ['"a"«(»1)', /only functions can be called/],
    ['a«;» b', /unexpected ";"/],
    ['a «b»', /unexpected "b"/],
    ['a «=» 1', /use == to compare/],
    ['a «===» 1', /use == to compare/],
    ['a «<>» 1', /use !=/],
    ['a «%» 2', /not part of the language/],
    ['a «&» b', /use &&/],
    ['a «??» b', /coalesce/],
    ['«+»a', /unknown operator "\+"/],
    ['1«e»5', /no exponent/],
    ['«.»5', /0\.5, not \.5/],
    ['1.«»', /followed by digits/],
    ['«"»abc', /unclosed string/],
    ['(a + b«»', /Unclosed \(/],
    ['a +«»', /Expected expression after \+/],
    ['a ? b«»', /Expected :/],
    ['«[1, , 2]»', /empty element/],
    ['x in «y»', /must be a list literal/],
    ['«café»', /not a valid name/],
    ['«»', /empty/],
    ['«and» x', /"and" is an operator/],
  ])('%s', (marked, message) => {
    const { source, start, end } = mark(marked);
    const { ast, problems } = parseExpr(source);
    expect(ast).toBeUndefined();
    expect(problems).toHaveLength(1);
    const [p] = problems;
    expect(p!.code).toBe('expr_syntax');
    expect(p!.message).toMatch(message);
    expect(p!.start).toBe(start);
    if (end > start) expect(p!.end).toBe(end);
  });
});
