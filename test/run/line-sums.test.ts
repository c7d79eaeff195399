import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dec, Decimal } from '../../src/pricing/index.js';
import { lineSums } from '../../src/run/line-sums.js';
import type { ChargeLine } from '../../src/run/rate.js';

const CURRENCIES = { USD: 2, JPY: 0, BHD: 3 } as const;
const CHARGES = { api: 'USD', storage: 'USD', calls: 'JPY', sms: 'BHD' } as const;

const line = (i: number, account: string, charge: keyof typeof CHARGES, minor: bigint, exactExtra: bigint): ChargeLine => {
  const currency = CHARGES[charge];
  const places = CURRENCIES[currency];
  const amount = dec(minor.toString()).div(dec(10).pow(places));
  return {
    lineId: `l${i}`, account, period: '2026-10', periodStart: '2026-10-01 00:00:00', periodEnd: '2026-11-01 00:00:00', charge, meter: charge, dims: {}, dimensionLabel: '',
    version: 0, quantity: dec(1), quantityScale: 0, currency, minorUnits: places, at: '2026-10-01 00:00:00.000000',
    priced: { amount, exact: amount.plus(dec(exactExtra.toString()).div(1e9)), unitPrice: null, tierRef: '' },
  };
};

/** The same sums the plain way: decimal.js additions, per key. */
function reference(lines: ChargeLine[]) {
  const by = (key: (l: ChargeLine) => string) => {
    const m = new Map<string, { lines: number; amount: Decimal; exact: Decimal; l: ChargeLine }>();
    for (const l of lines) {
      const s = m.get(key(l)) ?? { lines: 0, amount: dec(0), exact: dec(0), l };
      m.set(key(l), { lines: s.lines + 1, amount: s.amount.plus(l.priced.amount), exact: s.exact.plus(l.priced.exact), l: s.l });
    }
    return m;
  };
  return { currencies: by((l) => l.currency), charges: by((l) => l.charge), accounts: by((l) => `${l.account}/${l.currency}`) };
}

describe('lineSums', () => {
  it('sums 300,000 accounts (as 100 M S1 events have 200,000) without overflowing the stack', () => {
    const lines = Array.from({ length: 300_000 }, (_, i) => line(i, `acct-${String(i).padStart(6, '0')}`, 'api', BigInt(i % 1000), 0n));
    const s = lineSums(lines, 3);
    expect(s.totals.USD!.lines).toBe(300_000);
    expect(s.totals.USD!.amount).toBe('1498500.00'); // 300 × (0 + … + 999) cents
    expect(s.top_accounts.map((a) => a.account)).toEqual(['acct-000999', 'acct-001999', 'acct-002999']);
  });

  it('equals decimal.js sums per currency, charge and account, and ranks accounts by amount within each currency', () => {
    const arb = fc.array(
      fc.record({ account: fc.constantFrom('a1', 'a2', 'a3', 'b1', 'b2'), charge: fc.constantFrom(...(Object.keys(CHARGES) as (keyof typeof CHARGES)[])), minor: fc.bigInt(-(10n ** 15n), 10n ** 15n), extra: fc.bigInt(-499n, 499n) }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(arb, (rows) => {
        const lines = rows.map((r, i) => line(i, r.account, r.charge, r.minor, r.extra));
        const got = lineSums(lines, 2);
        const want = reference(lines);
        expect(Object.keys(got.totals).sort()).toEqual([...want.currencies.keys()].sort());
        for (const [cur, s] of want.currencies) {
          expect(got.totals[cur]).toEqual({ amount: s.amount.toFixed(s.l.minorUnits), amount_exact: s.exact.toFixed(), lines: s.lines });
        }
        expect(got.by_charge.map((c) => [c.charge, c.currency, c.lines, c.amount])).toEqual(
          [...want.charges.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, s]) => [k, s.l.currency, s.lines, s.amount.toFixed(s.l.minorUnits)]),
        );
        for (const cur of want.currencies.keys()) {
          const ranked = [...want.accounts.values()].filter((s) => s.l.currency === cur).sort((a, b) => b.amount.comparedTo(a.amount) || (a.l.account < b.l.account ? -1 : 1)).slice(0, 2);
          expect(got.top_accounts.filter((t) => t.currency === cur)).toEqual(ranked.map((s) => ({ account: s.l.account, currency: cur, lines: s.lines, amount: s.amount.toFixed(s.l.minorUnits) })));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('sums an amount with more decimals than its currency has (billed before the places changed) as the charges file writes it', () => {
    const l = line(1, 'a1', 'api', 1234n, 0n);
    l.priced.amount = dec('12.345');
    expect(lineSums([l, line(2, 'a1', 'api', 1n, 0n)]).totals.USD!.amount).toBe('12.35'); // 12.34 as written, + 0.01
  });

  it('ranks accounts by amount across currencies as they read (500 JPY above 10.00 USD)', () => {
    const got = lineSums([line(1, 'usd', 'api', 1000n, 0n), line(2, 'jpy', 'calls', 500n, 0n)]);
    expect(got.top_accounts.map((t) => t.account)).toEqual(['jpy', 'usd']);
  });

  it('breaks a tie in amount by account, then by currency, whatever order the lines come in', () => {
    // 5 JPY and 5.00 USD read the same; so do b's two amounts.
    const lines = [line(1, 'b', 'api', 500n, 0n), line(2, 'a', 'api', 500n, 0n), line(3, 'a', 'calls', 5n, 0n), line(4, 'b', 'calls', 5n, 0n)];
    const expected = [['a', 'JPY'], ['a', 'USD'], ['b', 'JPY'], ['b', 'USD']];
    expect(lineSums(lines).top_accounts.map((t) => [t.account, t.currency])).toEqual(expected);
    expect(lineSums([...lines].reverse()).top_accounts.map((t) => [t.account, t.currency])).toEqual(expected);
  });

  it('formats negative and sub-unit totals', () => {
    expect(lineSums([line(1, 'a1', 'api', -5n, 0n)]).totals.USD!.amount).toBe('-0.05');
    expect(lineSums([line(1, 'a1', 'sms', 7n, 0n)]).totals.BHD!.amount).toBe('0.007');
    expect(lineSums([line(1, 'a1', 'calls', 0n, 0n)]).totals.JPY!.amount).toBe('0');
  });
});
