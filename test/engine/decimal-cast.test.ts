/**
 * Text to wide DECIMALs (castDecimal, tryCastDecimal) must give exactly what DuckDB's own CAST and TRY_CAST give,
 * value for value, NULL for NULL and error for error, while taking the fast narrow cast where the value fits 18
 * digits. Real DuckDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Database } from '../../src/engine/duckdb/database.js';
import { castDecimal, quoteString, tryCastDecimal } from '../../src/engine/duckdb/sql-types.js';

let db: Database;
beforeAll(async () => {
  db = await Database.open({ threads: 1 });
});
afterAll(() => db.close());

const EDGES = [
  '0', '-0', '12.5', ' 12.5 ', '+7', '.5', '5.', '-.5', '-0.000000001', '1.0000000005', '999999999.9999999999',
  '123456789012.5', '99999999999999999999.123456789', '-99999999999999999999.999999999', '00012.50', '1e3', '1_000',
  'abc', '-', '', ' ', 'NaN', 'inf', '12.5.1',
  // Exponents with more than 18 significant digits: the narrow cast would drop digits instead of rounding.
  '9.99999999999999999995e16', '-894.214286858006708898699060e+3', '1.5E-3',
];

/** [text, ours, DuckDB's] for each text, all as VARCHAR (NULL stays null). */
async function compare(texts: readonly (string | null)[], precision: number, scale: number): Promise<(string | null)[][]> {
  const values = texts.map((t) => `(${t === null ? 'NULL' : quoteString(t)})`).join(', ');
  const rows = await db.rows(`SELECT x, CAST(${tryCastDecimal('x', precision, scale)} AS VARCHAR), CAST(TRY_CAST(x AS DECIMAL(${precision}, ${scale})) AS VARCHAR)
    FROM (VALUES ${values}) AS t(x)`);
  return rows.map((r) => r.map((v) => (v === null ? null : String(v))));
}

describe('wide DECIMAL casts from text', () => {
  it('take the narrow cast where it fits: the SQL names DECIMAL(18, s) for wide targets only', () => {
    expect(tryCastDecimal('x', 38, 9)).toContain('DECIMAL(18, 9)');
    expect(tryCastDecimal('x', 18, 3)).toBe('TRY_CAST(x AS DECIMAL(18, 3))');
    expect(tryCastDecimal('x', 38, 20)).toBe('TRY_CAST(x AS DECIMAL(38, 20))'); // no narrow DECIMAL has 20 places
  });

  for (const [precision, scale] of [[38, 0], [38, 2], [38, 9], [38, 12], [30, 18], [38, 20]] as const) {
    it(`TRY_CAST to DECIMAL(${precision}, ${scale}) on edge cases`, async () => {
      const rows = await compare([...EDGES, null], precision, scale);
      for (const [text, ours, theirs] of rows) expect({ text, value: ours }).toEqual({ text, value: theirs });
      // The cases must include values past 18 digits, so the wide path is exercised too.
      expect(rows.some(([t, v]) => t?.startsWith('99999999999999999999') && v !== null)).toBe(precision - scale >= 20);
    });
  }

  it('TRY_CAST to DECIMAL(38, 12) on random decimal texts of every width', async () => {
    const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
    const text = fc.tuple(fc.constantFrom('', '-', '+', ' '), digits(0, 26), fc.constantFrom('', '.'), digits(0, 14), fc.constantFrom('', ' '))
      .map(([sign, int, point, frac, tail]) => `${sign}${int}${point}${frac}${tail}`);
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 50 }), async (texts) => {
        for (const [t, ours, theirs] of await compare(texts, 38, 12)) expect({ t, ours }).toEqual({ t, ours: theirs });
      }),
      { numRuns: 40 },
    );
  });

  it('CAST fails where DuckDB fails, and gives the same values elsewhere', async () => {
    const one = async (sql: string) => {
      try {
        return { value: String((await db.rows(`SELECT CAST(${sql} AS VARCHAR)`))[0]![0]) };
      } catch {
        return { error: true };
      }
    };
    for (const t of ['12.5', '-0.5', '123456789012345678901.25', 'abc', '1e3']) {
      expect(await one(castDecimal(quoteString(t), 38, 12))).toEqual(await one(`CAST(${quoteString(t)} AS DECIMAL(38, 12))`));
    }
    expect(await one(castDecimal(quoteString('abc'), 38, 12))).toEqual({ error: true });
  });
});
