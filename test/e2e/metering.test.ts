/** Meter aggregations, periods, per-event pricing in SQL and event allocation, on real DuckDB with hand-checked numbers. */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dec, percentageEventCharges } from '../../src/pricing/index.js';
import { rate, ruleset } from '../helpers/rate.js';

const H = 'id,account,ts,qty';
const csv = (rows: string[], header = H) => [header, ...rows].join('\n') + '\n';
const unit = (meter: string) => `meters:
  m: ${meter}
prices:
  - { charge: c, meter: m, model: unit, unit_price: "1" }`;

describe('meter aggregations', () => {
  const rows = ['e1,a,2026-10-01 00:00:00,5', 'e2,a,2026-10-03 00:00:00,2', 'e3,a,2026-10-02 00:00:00,5', 'e4,a,2026-10-04 00:00:00,1'];
  const cases: [string, string][] = [
    ['{ aggregation: count }', '4.000'],
    ['{ aggregation: count_distinct, value: qty }', '3.000'],
    ['{ aggregation: max, value: qty }', '5.000'],
    ['{ aggregation: min, value: qty }', '1.000'],
    ['{ aggregation: latest, value: qty }', '1.000'],
    ['{ aggregation: avg, value: qty, scale: 2 }', '3.25'],
    ['{ aggregation: sum, value: qty, filter: "qty > 1" }', '12.000'],
  ];
  for (const [meter, quantity] of cases) {
    it(meter, async () => {
      const r = await rate(ruleset(unit(meter)), csv(rows));
      expect(r.lines.map((l) => l.quantity)).toEqual([quantity]);
    });
  }

  it('avg rounds half-even at the meter scale', async () => {
    // (1 + 2 + 2.5 + 0) / 4 = 1.375 → 1.38 at 2 places (half-even: 7 is odd → up); amount 1.38 × 1 = 1.38
    const r = await rate(ruleset(unit('{ aggregation: avg, value: qty, scale: 2 }')), csv(['e1,a,2026-10-01 00:00:00,1', 'e2,a,2026-10-01 00:00:00,2', 'e3,a,2026-10-01 00:00:00,2.5', 'e4,a,2026-10-01 00:00:00,0']));
    expect(r.lines[0]).toMatchObject({ quantity: '1.38', amount: '1.38' });
  });

  it('time-weighted sum: each reading holds until the next, the last until the period end', async () => {
    // 10 GB from Oct 31 20:00 to 22:00 (2 h) = 20, then 4 GB from 22:00 to Nov 1 00:00 (2 h) = 8 → 28 GB-hours
    const r = await rate(ruleset(unit('{ aggregation: time_weighted_sum, value: qty, time_unit: hour }')), csv(['e1,a,2026-10-31 20:00:00,10', 'e2,a,2026-10-31 22:00:00,4']));
    expect(r.lines).toEqual([{ account: 'a', period: '2026-10', charge: 'c', dimension: '', quantity: '28.000', amount: '28.00' }]);
  });

  it('periods of day, ISO week, quarter and year, in the ruleset time zone', async () => {
    const rows = ['e1,a,2026-12-31 23:30:00,1'];
    const tz = (period: string, zone: string) => ruleset(`  timezone: ${zone}\n  period: ${period}\n${unit('{ aggregation: sum, value: qty }')}`);
    expect((await rate(tz('day', 'UTC'), csv(rows))).lines[0]!.period).toBe('2026-12-31');
    expect((await rate(tz('day', 'Europe/Paris'), csv(rows))).lines[0]!.period).toBe('2027-01-01');
    expect((await rate(tz('week', 'UTC'), csv(rows))).lines[0]!.period).toBe('2026-W53');
    expect((await rate(tz('quarter', 'UTC'), csv(rows))).lines[0]!.period).toBe('2026-Q4');
    expect((await rate(tz('year', 'Europe/Paris'), csv(rows))).lines[0]!.period).toBe('2027');
    const r = await rate(tz('month', 'Europe/Paris'), csv(rows), { columns: ['period', 'period_start', 'period_end'] });
    expect(r.lines[0]).toEqual({ period: '2027-01', period_start: '2026-12-31 23:00:00', period_end: '2027-01-31 23:00:00' });
  });
});

describe('rounding at the line', () => {
  for (const [mode, expected] of [['half_even', '0.12'], ['half_up', '0.13']] as const) {
    it(`${mode} at an exact midpoint`, async () => {
      // 0.125 × 1 = 0.125: half-even keeps the even 2, half-up goes to 3
      const r = await rate(ruleset(`  rounding: ${mode}\n${unit('{ aggregation: sum, value: qty }')}`), csv(['e1,a,2026-10-01 00:00:00,0.125']));
      expect(r.lines[0]!.amount).toBe(expected);
    });
  }
});

describe('matrix with versions', () => {
  const body = `meters:
  m: { aggregation: sum, value: qty, dimensions: model }
prices:
  - charge: c
    meter: m
    model: matrix
    matrix:
      dimensions: model
      prices: [{ when: { model: a1 }, unit_price: "1" }]
      reject_reason: unknown_model
    versions:
      - effective_from: "2026-10-15"
        matrix:
          dimensions: model
          prices: [{ when: { model: a1 }, unit_price: "2" }, { when: { model: b2 }, unit_price: "3" }]
          reject_reason: unknown_model`;
  it('prices each event by the version in force and rejects combinations that version does not list', async () => {
    const r = await rate(ruleset(body, ['model']), csv(['e1,a,2026-10-01 00:00:00,1,a1', 'e2,a,2026-10-01 00:00:00,1,b2', 'e3,a,2026-10-20 00:00:00,1,a1', 'e4,a,2026-10-20 00:00:00,1,b2'], `${H},model`), { columns: ['dimension', 'price_version', 'amount'] });
    expect(r.lines).toEqual([{ dimension: 'a1', price_version: '0', amount: '1.00' }, { dimension: 'a1', price_version: '1', amount: '2.00' }, { dimension: 'b2', price_version: '1', amount: '3.00' }]);
    expect(r.rejects.map((x) => [x.line, x.reason])).toEqual([['3', 'unknown_model']]);
  });
});

describe('percentage in SQL matches the pure reference', () => {
  it('over random events', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 50000 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 300 }), async (cents, freeUnits, freeAmount) => {
        const body = `meters:
  m: { aggregation: count }
prices:
  - charge: fees
    meter: m
    model: percentage
    percentage: { amount: qty, rate: "0.029", fixed_fee: "0.30", free_units: ${freeUnits}, free_amount: "${freeAmount}", min_per_event: "0.50", max_per_event: "9" }`;
        const amounts = cents.map((c) => dec(c).div(100));
        const rows = amounts.map((a, i) => `e${i},a,2026-10-01 00:00:${String(i).padStart(2, '0')},${a.toFixed(2)}`);
        const r = await rate(ruleset(body), csv(rows), { columns: ['amount_exact'] });
        const expected = percentageEventCharges(amounts.map((amount) => ({ amount })), { rate: dec('0.029'), fixedFee: dec('0.30'), freeUnits, freeAmount: dec(freeAmount), minPerEvent: dec('0.50'), maxPerEvent: dec('9') });
        const sum = expected.reduce((s, x) => s.plus(x), dec(0));
        expect(dec(String(r.lines[0]!.amount_exact)).eq(sum)).toBe(true);
      }),
      { numRuns: 15 },
    );
  });
});

describe('rated events', () => {
  it('each line\'s events sum exactly to its amount', async () => {
    const body = `meters:
  m: { aggregation: sum, value: qty, dimensions: region }
prices:
  - charge: c
    meter: m
    model: graduated
    tiers: [{ up_to: 10, unit_price: "0.333" }, { unit_price: "0.1" }]`;
    const rows = Array.from({ length: 40 }, (_, i) => `e${i},a${i % 3},2026-10-0${1 + (i % 9)} 00:00:00,${(i * 7) % 5}.${i % 10},${['x', 'y'][i % 2]}`);
    const r = await rate(ruleset(body, ['region']), csv(rows, `${H},region`), { ratedEvents: true, columns: ['amount'] });
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const file = path.join(r.out, 'rated-events.parquet');
    expect(fs.existsSync(file)).toBe(true);
    const sums = (await c.runAndReadAll(`SELECT line_id, CAST(sum(charge_amount) AS VARCHAR), count(*) FROM '${file}' GROUP BY 1`)).getRowsJson();
    const lines = fs.readFileSync(path.join(r.out, 'charges.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(sums.length).toBe(lines.length);
    const totals = Object.fromEntries(sums.map(([id, s]) => [id, s]));
    for (const l of lines) expect(dec(String(totals[l[0]!])).eq(dec(String(l[12])))).toBe(true);
    const events = Number((await c.runAndReadAll(`SELECT count(*) FROM '${file}'`)).getRowsJson()[0]![0]);
    expect(events).toBe(40);
  });
});
