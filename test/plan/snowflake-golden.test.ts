/**
 * The Snowflake pushdown script of every example ruleset, as golden files (UPDATE_GOLDEN=1 rewrites them), each
 * statement parsed by node-sql-parser's Snowflake grammar to catch syntax errors. The parser lacks a few valid
 * Snowflake constructs; those are listed in PARSER_GAPS, each rewritten to something it parses that keeps the rest
 * of the statement (and the expressions inside the construct) checked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import pkg from 'node-sql-parser';
import type { RulesetIR } from '../../src/ruleset/ir.js';
import { compileSnowflakePlan, renderSnowflakeScript, type SnowflakePlanOptions, type SnowflakeStatement } from '../../src/plan/snowflake-plan.js';
import { ROOT } from '../helpers/cli.js';
import { loadIr } from './helpers.js';

const { Parser } = pkg;
const GOLDEN = path.join(ROOT, 'test/plan/golden/snowflake');

const RULESETS = [
  ...fs.readdirSync(path.join(ROOT, 'rulesets/examples')).filter((f) => f.endsWith('.yaml') && !f.endsWith('.tests.yaml')).map((f) => `rulesets/examples/${f}`),
  'rulesets/bench/s1.yaml',
];

/** Fixed names for the goldens; S1 (the benchmark) numbers its rows by a load sequence column, the others by row_number(). */
function goldenOptions(ruleset: RulesetIR): SnowflakePlanOptions {
  return {
    source: 'TALLY.USAGE.EVENTS',
    rowNumberColumn: ruleset.name === 's1' ? 'LOAD_SEQ' : undefined,
    referenceTables: { accounts: 'TALLY.REFERENCE.ACCOUNTS' },
  };
}

/** The golden text of a ruleset: the script, as `tally explain --sql --engine snowflake` prints it. */
function snowflakeGolden(file: string): { statements: SnowflakeStatement[]; text: string } {
  const ruleset = loadIr(file);
  const statements = compileSnowflakePlan(ruleset, goldenOptions(ruleset));
  return { statements, text: renderSnowflakeScript(statements) };
}

/**
 * Valid Snowflake that node-sql-parser 5.4 does not parse, each rewritten so the rest is still checked:
 * - `SELECT * [EXCLUDE (...)] REPLACE (expr AS col, ...)` (Snowflake's SELECT * options, docs.snowflake.com
 *   sql-reference/sql/select): the parser knows EXCLUDE but not REPLACE; the replacements become ordinary select
 *   items (`*, expr AS col`), so their expressions are parsed too;
 * - `ALTER SESSION SET param = value ...` (sql-reference/sql/alter-session): not in the parser's grammar at all;
 *   it is checked here against its only allowed shape instead.
 */
const PARSER_GAPS: { name: string; applies: (sql: string) => boolean; rewrite: (sql: string) => string | null }[] = [
  {
    name: 'SELECT * REPLACE (...)',
    applies: (sql) => /\* (?:EXCLUDE \([^)]*\) )?REPLACE \(/.test(sql),
    rewrite: rewriteStarReplace,
  },
  {
    name: 'ALTER SESSION SET',
    applies: (sql) => sql.startsWith('ALTER SESSION SET '),
    rewrite: (sql) => {
      expect(sql).toMatch(/^ALTER SESSION SET(?:\s+[A-Z_]+ = '[^']*')+$/);
      return null; // nothing left to parse
    },
  },
];

/** `* [EXCLUDE (...)] REPLACE (a AS x, b AS y)` → `* [EXCLUDE (...)], a AS x, b AS y` (quotes and nesting respected). */
function rewriteStarReplace(sql: string): string {
  const re = /(\* (?:EXCLUDE \([^)]*\) )?)REPLACE \(/g;
  let out = '';
  let last = 0;
  for (let m = re.exec(sql); m; m = re.exec(sql)) {
    const open = m.index + m[0].length - 1;
    const close = matchingParen(sql, open);
    out += `${sql.slice(last, m.index)}${m[1]!.trimEnd()}, ${sql.slice(open + 1, close)}`;
    last = close + 1;
    re.lastIndex = last;
  }
  return out + sql.slice(last);
}

function matchingParen(sql: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < sql.length; i++) {
    const c = sql[i]!;
    if (quote) {
      if (c === '\\' && quote === "'") i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  throw new Error(`unbalanced parenthesis at ${open}`);
}

function parseSnowflake(sql: string): void {
  let text: string | null = sql;
  for (const gap of PARSER_GAPS) if (text !== null && gap.applies(text)) text = gap.rewrite(text);
  if (text === null) return;
  new Parser().astify(text, { database: 'snowflake' });
}

describe('Snowflake pushdown SQL (golden files)', () => {
  for (const file of RULESETS) {
    const name = path.basename(file, '.yaml');
    it(`${name}: matches test/plan/golden/snowflake/${name}.sql`, () => {
      const { text } = snowflakeGolden(file);
      const golden = path.join(GOLDEN, `${name}.sql`);
      if (process.env.UPDATE_GOLDEN === '1') {
        fs.mkdirSync(GOLDEN, { recursive: true });
        fs.writeFileSync(golden, text);
      }
      expect(text).toBe(fs.readFileSync(golden, 'utf8'));
    });

    it(`${name}: every statement parses as Snowflake SQL`, () => {
      const { statements } = snowflakeGolden(file);
      expect(statements.map((s) => s.name)).toEqual(expect.arrayContaining(['session', 'outcomes', 'rejects']));
      for (const s of statements) {
        try {
          parseSnowflake(s.sql);
        } catch (e) {
          throw new Error(`${name} / ${s.name}: ${(e as Error).message.slice(0, 300)}`);
        }
      }
    });
  }

  it('no DuckDB-only spelling reaches a Snowflake script', () => {
    // The parser accepts much it does not know; these would fail (or mean something else) in Snowflake.
    const duckdbOnly = [/read_csv|read_parquet/, /\browid\b/, /strftime|try_strptime/, /\bepoch\(/, /isodow/, /\btimezone\(/, /list_transform|lambda/,
      /sha256\(/, /\brange\(/, /\bINTERVAL\b/, /SEMI JOIN/, /starts_with\(/, /regexp_full_match/, /\bTIMESTAMP '/, /\binstr\(/, /\brow\(/,
      /TRY_CAST\(/, /\blast\(/, /arg_min|bool_or/, /GROUP BY ALL/, /\bWINDOW \w+ AS/];
    for (const file of RULESETS) {
      const { text } = snowflakeGolden(file);
      for (const re of duckdbOnly) expect(text, `${file}: ${re}`).not.toMatch(re);
    }
  });

  it('the parser gaps are real: node-sql-parser still rejects them, and still parses the rewrites', () => {
    const p = new Parser();
    expect(() => p.astify(`SELECT * REPLACE (1 AS a) FROM t`, { database: 'snowflake' })).toThrow();
    expect(() => p.astify(`ALTER SESSION SET TIMEZONE = 'UTC'`, { database: 'snowflake' })).toThrow();
    expect(rewriteStarReplace(`SELECT * EXCLUDE (b) REPLACE (f(')', x) AS a) FROM t`)).toBe(`SELECT * EXCLUDE (b), f(')', x) AS a FROM t`);
    // And the check has teeth: a broken statement fails.
    expect(() => parseSnowflake(`SELECT * REPLACE (1 AS a FROM t`)).toThrow();
    expect(() => parseSnowflake(`SELECT CASE WHEN a THEN 1 FROM t`)).toThrow();
    expect(() => parseSnowflake(`SELECT list_transform([1], lambda x: x) FROM t`)).toThrow();
  });
});
