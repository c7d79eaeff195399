/**
 * Division, round() and capped multiplication on DuckDB against decimal.js with 100 digits of precision:
 * random signs, scales and magnitudes (up to the limits DECIMAL(38) allows), with exact ties made common
 * on purpose, since ties are where half-even and half-away-from-zero part.
 */
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuck, type Duck, type Row } from './helpers.js';

const Exact = Decimal.clone({ precision: 100, rounding: Decimal.ROUND_HALF_EVEN });

let duck: Duck;
beforeAll(async () => {
  duck = await openDuck();
});
afterAll(() => {
  duck.connection.closeSync();
});

/** A decimal text with the given scale and up to `maxIntDigits` integer digits; small values are common. */
function decimalText(scale: number, maxIntDigits: number): fc.Arbitrary<string> {
  const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
  return fc
    .record({
      negative: fc.boolean(),
      intDigits: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: maxIntDigits })),
      fraction: digits(scale),
      // A fraction ending in 5 (or 0) makes exact ties likely in division and rounding.
      tie: fc.constantFrom('', '5', '50', '25', '0'),
    })
    .chain(({ negative, intDigits, fraction, tie }) =>
      digits(intDigits).map((whole) => {
        const frac = scale === 0 ? '' : (fraction.slice(0, Math.max(0, scale - tie.length)) + tie).slice(0, scale).padEnd(scale, '0');
        const text = `${negative ? '-' : ''}${whole.replace(/^0+(?=\d)/, '') || '0'}${scale ? `.${frac}` : ''}`;
        return text;
      }),
    );
}

const halfEven = (x: Decimal.Instance, places: number) => x.toDecimalPlaces(places, Exact.ROUND_HALF_EVEN).toFixed(places);

async function checkAll(source: string, rows: Row[], expected: Array<string | null>) {
  const got = await duck.values(source, rows);
  const wrong = got.map((g, i) => ({ row: rows[i], got: g, want: expected[i] })).filter((r) => r.got !== r.want);
  expect(wrong).toEqual([]);
}

describe('exactness against decimal.js', () => {
  it('a / b is exact, half-even at 12 places, for any scales and magnitudes', async () => {
    const batch = fc
      .record({ sa: fc.integer({ min: 0, max: 8 }), sb: fc.integer({ min: 0, max: 6 }) })
      .chain(({ sa, sb }) =>
        fc.record({
          sa: fc.constant(sa),
          sb: fc.constant(sb),
          // |a| * 10^(12 + sb) must stay below 10^38 for the exact remainder.
          pairs: fc.array(fc.tuple(decimalText(sa, 25 - sb), decimalText(sb, 12)), { minLength: 1, maxLength: 60 }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(batch, async ({ sa, sb, pairs }) => {
        const rows: Row[] = pairs.map(([a, b]) => ({ a: [`decimal(${sa})`, a], b: [`decimal(${sb})`, b] }));
        const expected = pairs.map(([a, b]) => (new Exact(b).isZero() ? null : halfEven(new Exact(a).div(b), 12)));
        await checkAll('a / b', rows, expected);
      }),
      { numRuns: 40 },
    );
  });

  it('integer / integer and decimal / integer literal are exact too', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), fc.bigInt({ min: -1000n, max: 1000n })), { minLength: 1, maxLength: 60 }),
        async (pairs) => {
          const rows: Row[] = pairs.map(([a, b]) => ({ a: ['integer', String(a)], b: ['integer', String(b)] }));
          const expected = pairs.map(([a, b]) => (b === 0n ? null : halfEven(new Exact(String(a)).div(String(b)), 12)));
          await checkAll('a / b', rows, expected);
          await checkAll('a / 3600', rows, pairs.map(([a]) => halfEven(new Exact(String(a)).div(3600), 12)));
          await checkAll('a / 0.008', rows, pairs.map(([a]) => halfEven(new Exact(String(a)).div('0.008'), 12)));
        },
      ),
      { numRuns: 20 },
    );
  });

  it('round(x, k) is half-even for every scale below the value\'s', async () => {
    const batch = fc
      .record({ s: fc.integer({ min: 1, max: 18 }) })
      .chain(({ s }) => fc.record({ s: fc.constant(s), k: fc.integer({ min: 0, max: s - 1 }), xs: fc.array(decimalText(s, 38 - s - 1), { minLength: 1, maxLength: 60 }) }));
    await fc.assert(
      fc.asyncProperty(batch, async ({ s, k, xs }) => {
        const rows: Row[] = xs.map((x) => ({ x: [`decimal(${s})`, x] }));
        await checkAll(`round(x, ${k})`, rows, xs.map((x) => halfEven(new Exact(x), k)));
      }),
      { numRuns: 40 },
    );
  });

  it('products past 18 decimals are rounded half-even at 18', async () => {
    const pairs = fc.array(fc.tuple(decimalText(12, 6), decimalText(12, 6)), { minLength: 1, maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(pairs, async (ps) => {
        const rows: Row[] = ps.map(([a, b]) => ({ a: ['decimal(12)', a], b: ['decimal(12)', b] }));
        await checkAll('a * b', rows, ps.map(([a, b]) => halfEven(new Exact(a).times(b), 18)));
      }),
      { numRuns: 20 },
    );
  });
});
