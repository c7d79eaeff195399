import { describe, expect, it } from 'vitest';
import { compileExpr, formatValueType } from '../../src/expr/index.js';
import { compileOk, mark, problemsOf, scopeOf } from './helpers.js';

const scope = scopeOf({
  amount: 'decimal(2)',
  price: 'decimal(4)',
  rate: 'decimal(12)',
  qty: 'integer',
  region: 'string',
  event_time: 'timestamp',
  premium: 'boolean',
});

const typeOfExpr = (source: string) => formatValueType(compileOk(source, scope).type);

describe('typecheck: result types', () => {
  it.each([
    ['qty + 1', 'integer'],
    ['qty * qty - 3', 'integer'],
    ['amount + price', 'decimal(4)'],
    ['amount - 1', 'decimal(2)'],
    ['amount * price', 'decimal(6)'],
    ['rate * rate', 'decimal(18)'], // 24 capped at 18
    ['qty * 0.5', 'decimal(1)'],
    ['qty / 2', 'decimal(12)'], // division is always decimal(12)
    ['amount / price', 'decimal(12)'],
    ['-amount', 'decimal(2)'],
    ['region + "-x"', 'string'],
    ['region + null', 'string'],
    ['amount > 1 and premium', 'boolean'],
    ['amount == null', 'boolean'],
    ['null > 1', 'boolean'],
    ['region in ["eu", "us"]', 'boolean'],
    ['qty not in [1, 2.5]', 'boolean'],
    ['premium ? 1 : 2.50', 'decimal(2)'],
    ['premium ? null : region', 'string'],
    ['coalesce(amount, qty, 0)', 'decimal(2)'],
    ['if(premium, price, amount)', 'decimal(4)'],
    ['least(qty, 5)', 'integer'],
    ['greatest(amount, price)', 'decimal(4)'],
    ['round(price, 2)', 'decimal(2)'],
    ['round(price)', 'decimal(0)'],
    ['abs(amount)', 'decimal(2)'],
    ['hour(event_time)', 'integer'],
    ['weekday(event_time, "America/New_York")', 'integer'],
    ['date_trunc("day", event_time)', 'timestamp'],
    ['format_time(event_time, "%Y-%m-%d")', 'string'],
    ['to_timestamp(region, "%Y-%m-%d %H:%M")', 'timestamp'],
    ['to_decimal(region, 4)', 'decimal(4)'],
    ['to_decimal(price, 2)', 'decimal(2)'],
    ['to_integer(region)', 'integer'],
    ['to_string(amount)', 'string'],
    ['is_decimal(region, 2)', 'boolean'],
    ['matches(region, "^eu-[a-z]+$")', 'boolean'],
    ['length(region)', 'integer'],
    ['substr(region, 1, 2)', 'string'],
    ['concat(region, "-", region)', 'string'],
    ['null', 'null'],
  ])('%s is %s', (source, expected) => {
    expect(typeOfExpr(source)).toBe(expected);
  });
});

describe('typecheck: problems point at what is wrong', () => {
  it.each([
    ['qty >= 0 && «regoin» == "x"', 'expr_unknown_field', 'unknown field "regoin" (did you mean "region"?)'],
    ['«amout» > 1', 'expr_unknown_field', 'did you mean "amount"?'],
    ['«quantity» > 1', 'expr_unknown_field', /^unknown field "quantity"$/],
    ['«lower» == "x"', 'expr_unknown_field', 'is a function: call it as lower(…)'],
    ['«lowr»(region)', 'expr_unknown_function', 'unknown function lowr() (did you mean lower()?)'],
    ['«sqrt»(qty)', 'expr_unknown_function', /^unknown function sqrt\(\)$/],
    ['lower(«amount»)', 'expr_arg_type', 'lower() argument 1 (s) must be string, not decimal(2)'],
    ['substr(region, «"1"»)', 'expr_arg_type', 'substr() argument 2 (start) must be integer, not string'],
    ['lower(region, «region»)', 'expr_arg_count', /takes 1 argument, not 2: lower\(s: string\)/],
    ['«coalesce(amount)»', 'expr_arg_count', /at least 2/],
    ['«substr(region)»', 'expr_arg_count', /takes 2 to 3 arguments, not 1/],
    ['hour(event_time, "UTC", «1»)', 'expr_arg_count', /takes 1 to 2 arguments, not 3: hour\(ts: timestamp, zone\?: string literal\)/],
    ['«hour()»', 'expr_arg_count', /takes 1 to 2 arguments, not 0/],
    ['round(amount, «qty»)', 'expr_arg_type', 'must be written as an integer literal'],
    ['round(amount, «19»)', 'expr_literal', 'from 0 to 18'],
    ['matches(region, «region»)', 'expr_arg_type', 'must be written as a string literal'],
    ['matches(region, «"(a"»)', 'expr_literal', 'invalid regular expression'],
    ['matches(region, «"a(?=b)"»)', 'expr_literal', 'lookahead'],
    ['date_trunc(«"dya"», event_time)', 'expr_literal', 'unknown unit "dya"'],
    ['format_time(event_time, «"%Y %Q"»)', 'expr_literal', 'unknown format specifier "%Q"'],
    ['format_time(event_time, «"%H %z"»)', 'expr_literal', '%z and %Z are not available here'],
    ['hour(event_time, «"Europe/Pari"»)', 'expr_literal', 'unknown time zone "Europe/Pari" (did you mean "Europe/Paris"?)'],
    ['hour(event_time, «region»)', 'expr_arg_type', 'names a time zone and must be a string literal'],
    ['«coalesce(region, qty)»', 'expr_arg_type', 'the arguments of coalesce() must share one type, not string, integer'],
    ['region «==» 1', 'expr_type_mismatch', 'cannot compare string with integer'],
    ['event_time «<» "2026-01-01"', 'expr_type_mismatch', 'cannot compare timestamp with string'],
    ['premium «<» true', 'expr_type_mismatch', 'booleans can only be compared with == and !='],
    ['region «+» 1', 'expr_type_mismatch', 'cannot add string and integer'],
    ['amount «*» region', 'expr_type_mismatch', '"*" needs numbers'],
    ['«amount» and premium', 'expr_type_mismatch', '"and" needs booleans, not decimal(2)'],
    ['not «region»', 'expr_type_mismatch', '"not" needs a boolean'],
    ['-«region»', 'expr_type_mismatch', '"-" needs a number'],
    ['«qty» ? 1 : 2', 'expr_type_mismatch', 'condition before "?" must be a boolean'],
    ['premium ? 1 : «"x"»', 'expr_type_mismatch', 'both branches must have one type, not integer and string'],
    ['region in ["a", «1»]', 'expr_type_mismatch', 'cannot look for string among integer values'],
    ['region not in ["a", «null»]', 'expr_type_mismatch', 'null cannot be in a list'],
    ['region in «[]»', 'expr_type_mismatch', 'at least one value'],
    ['«[1, 2]» == qty', 'expr_type_mismatch', 'a list can only follow "in"'],
    ['«9223372036854775808»', 'expr_literal', 'out of the integer range'],
    ['«0.1234567890123456789»', 'expr_literal', 'at most 18 are allowed'],
  ])('%s', (marked, code, message) => {
    const { source, start, end } = mark(marked);
    const problems = problemsOf(source, scope);
    expect(problems.length, JSON.stringify(problems)).toBeGreaterThan(0);
    const [p] = problems;
    expect(p!.code).toBe(code);
    if (typeof message === 'string') expect(p!.message).toContain(message);
    else expect(p!.message).toMatch(message);
    expect([p!.start, p!.end]).toEqual([start, end]);
  });

  it('accepts the extreme integers', () => {
    expect(typeOfExpr('-9223372036854775808 + 9223372036854775807')).toBe('integer');
  });

  it('collects every problem, not only the first', () => {
    const problems = problemsOf('amout > 1 and lowr(regin) == 2', scope);
    expect(problems.map((p) => p.code)).toEqual(['expr_unknown_field', 'expr_unknown_function', 'expr_unknown_field']);
  });

  it('reports an unknown ruleset time zone where a time function is called', () => {
    const { problems } = compileExpr('1 + hour(event_time)', scope, { timezone: 'Mars/Olympus' });
    expect(problems).toEqual([expect.objectContaining({ code: 'expr_literal', start: 4, end: 8 })]);
  });
});

describe('compileExpr: the expected type', () => {
  it('reports a result of another type over the whole expression', () => {
    const { source, start, end } = mark('  «qty + 1»  ');
    const problems = problemsOf(source, scope, 'boolean');
    expect(problems).toEqual([
      { code: 'expr_expected_type', message: 'this must give a boolean, but it gives integer', start, end },
    ]);
  });

  it('accepts an integer where a decimal is expected, and the null literal nowhere', () => {
    expect(problemsOf('qty * 2', scope, 'decimal')).toEqual([]);
    expect(problemsOf('null', scope, 'boolean')[0]?.code).toBe('expr_expected_type');
    expect(problemsOf('amount > 1', scope, 'boolean')).toEqual([]);
  });

  it('returns the typed expression with its source', () => {
    const { expr, problems } = compileExpr('amount * 2', scope, { timezone: 'UTC' }, 'decimal');
    expect(problems).toEqual([]);
    expect(expr).toMatchObject({ source: 'amount * 2', type: { kind: 'decimal', scale: 2 } });
  });
});
