import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeFunctions, duckdbDialect, emitSql, fieldsUsed } from '../../src/expr/index.js';
import { EXPR_PROBLEM_CODES } from '../../src/expr/problems.js';
import { compileOk, scopeOf } from './helpers.js';

const scope = scopeOf({ amount: 'decimal(2)', qty: 'integer', region: 'string', note: 'string', ts: 'timestamp' });
const sql = (source: string, columnRef?: (name: string) => string) => emitSql(compileOk(source, scope), duckdbDialect, columnRef);

describe('emitted SQL', () => {
  it.each([
    ['amount', '"amount"'],
    ['"it\'s"', `'it''s'`],
    ['0.0100', `CAST('0.0100' AS DECIMAL(38, 4))`],
    ['-0.5', `CAST('-0.5' AS DECIMAL(38, 1))`],
    ['12', 'CAST(12 AS BIGINT)'],
    ['true', 'TRUE'],
    ['note == null', '("note" IS NULL)'],
    ['null != note', '("note" IS NOT NULL)'],
    ['region == "eu"', `("region" = 'eu')`],
    ['region != "eu"', `("region" <> 'eu')`],
    ['qty + 1', '("qty" + CAST(1 AS BIGINT))'],
    ['amount + qty', '("amount" + CAST("qty" AS DECIMAL(38, 0)))'],
    ['amount > 1', `("amount" > CAST('1' AS DECIMAL(38, 2)))`],
    ['region in ["a", "b"]', `("region" IN ('a', 'b'))`],
    ['region not in ["a"]', `("region" NOT IN ('a'))`],
    ['region + "x"', `("region" || 'x')`],
    ['amount > 1 and not (qty < 2)', `(("amount" > CAST('1' AS DECIMAL(38, 2))) AND (NOT ("qty" < CAST(2 AS BIGINT))))`],
    ['qty > 1 ? amount : 0', `(CASE WHEN ("qty" > CAST(1 AS BIGINT)) THEN "amount" ELSE CAST('0' AS DECIMAL(38, 2)) END)`],
    ['amount / 1000', `CAST(("amount" * CAST('0.001' AS DECIMAL(38, 3))) AS DECIMAL(38, 12))`],
    ['amount > null', '("amount" > CAST(NULL AS DECIMAL(38, 2)))'],
    ['null < null', 'CAST(NULL AS BOOLEAN)'],
    ['lower(region)', 'lower("region")'],
  ])('%s → %s', (source, expected) => {
    expect(sql(source)).toBe(expected);
  });

  it('maps fields through columnRef', () => {
    expect(sql('amount + qty', (name) => `e."${name}"`)).toBe('(e."amount" + CAST(e."qty" AS DECIMAL(38, 0)))');
  });

  it('never emits DOUBLE arithmetic for a division: only an estimate inside the exact form', () => {
    const division = sql('amount / qty');
    expect(division).not.toMatch(/round_even|\/\/|HUGEINT/);
    expect(division.startsWith('CASE WHEN "amount" IS NULL OR CAST("qty" AS DECIMAL(38, 0)) IS NULL OR CAST("qty" AS DECIMAL(38, 0)) = 0 THEN NULL')).toBe(true);
  });

  it('binds a complex operand once, so nested divisions stay linear in size', () => {
    const one = sql('amount / qty').length;
    const nested = sql('((amount / qty) / qty) / qty').length;
    expect(nested).toBeLessThan(one * 4);
    // Every lambda parameter is unique within the expression.
    const params = [...sql('((amount / qty) / qty) / qty').matchAll(/lambda ("\$\d+")/g)].map((m) => m[1]);
    expect(new Set(params).size).toBe(params.length);
  });

  it('is deterministic (same text every time, for golden files)', () => {
    expect(sql('round(amount / 3, 2)')).toBe(sql('round(amount / 3, 2)'));
  });
});

describe('fieldsUsed', () => {
  it('lists fields in order of first use, once each', () => {
    expect(fieldsUsed(compileOk('coalesce(note, region) == region and hour(ts) > qty / 2', scope))).toEqual(['note', 'region', 'ts', 'qty']);
    expect(fieldsUsed(compileOk('1 + 2', scope))).toEqual([]);
  });
});

describe('the function catalogue and its docs', () => {
  const readme = readFileSync(new URL('../../src/expr/README.md', import.meta.url), 'utf8');

  it('describes every function with a signature and a doc line', () => {
    const docs = describeFunctions();
    expect(docs.length).toBeGreaterThanOrEqual(30);
    for (const f of docs) {
      expect(f.signature.startsWith(`${f.name}(`)).toBe(true);
      expect(f.doc.length).toBeGreaterThan(10);
    }
    expect(docs.find((f) => f.name === 'hour')!.signature).toBe('hour(ts: timestamp, zone?: string literal)');
    expect(docs.find((f) => f.name === 'round')!.signature).toBe('round(x: numeric, scale?: integer literal)');
  });

  it('the README documents every function and every problem code (no drift)', () => {
    for (const f of describeFunctions()) expect(readme, f.name).toContain(`\`${f.signature}\``);
    for (const code of Object.keys(EXPR_PROBLEM_CODES)) expect(readme, code).toContain(`\`${code}\``);
  });
});
