/** Every mediation stage kind, run through real DuckDB on small hand-made inputs with hand-checked outcomes. */
import { describe, expect, it } from 'vitest';
import { rate, ruleset } from '../helpers/rate.js';

const unitPrice = (meterExtra = '', filter = '') => `meters:
  usage: { aggregation: sum, value: qty${filter ? `, filter: '${filter}'` : ''}${meterExtra} }
prices:
  - { charge: usage, meter: usage, model: unit, unit_price: "1" }`;

const csv = (header: string, rows: string[]) => [header, ...rows].join('\n') + '\n';
const H = 'id,account,ts,qty';

describe('validate', () => {
  it('rejects rows where the rule is false or null, with the reason, file and line', async () => {
    const r = await rate(ruleset(`mediation:\n  - validate: { rule: "qty >= 1", reason: too_small }\n${unitPrice()}`),
      csv(H, ['e1,a,2026-10-01 00:00:00,5', 'e2,a,2026-10-01 00:00:00,0.5', 'e3,a,2026-10-01 00:00:00,']));
    expect(r.lines).toEqual([{ account: 'a', period: '2026-10', charge: 'usage', dimension: '', quantity: '5.000', amount: '5.00' }]);
    expect(r.rejects.map((x) => [x.line, x.stage, x.reason])).toEqual([['3', 'validate[0]', 'too_small'], ['4', 'validate[0]', 'too_small']]);
    expect(r.manifest.counts).toMatchObject({ rows_read: 3, accepted: 1, rejected: 2 });
  });
});

describe('filter', () => {
  it('drops and counts rows that are not billable, without rejecting them', async () => {
    const r = await rate(ruleset(`mediation:\n  - filter: { name: no_tests, drop: 'kind == "test"' }\n${unitPrice()}`, ['kind']),
      csv(`${H},kind`, ['e1,a,2026-10-01 00:00:00,5,real', 'e2,a,2026-10-01 00:00:00,7,test']));
    expect(r.lines.map((l) => l.quantity)).toEqual(['5.000']);
    expect(r.manifest.counts).toMatchObject({ rows_read: 2, accepted: 1, filtered: 1, rejected: 0 });
    expect(r.manifest.counts.by_stage.no_tests).toEqual({ rejected: 0, filtered: 1, duplicates: 0 });
  });
});

describe('derive, rename and map', () => {
  it('computes fields, renames them and normalizes values through a table with a default', async () => {
    const r = await rate(ruleset(`mediation:
  - derive: { fields: { double_qty: "qty * 2", zone: 'lower(region)' } }
  - rename: { fields: { double_qty: billed } }
  - map: { field: zone, into: billing_region, table: { us-east-1: us-east }, default: other }
meters:
  usage: { aggregation: sum, value: billed, dimensions: billing_region }
prices:
  - { charge: usage, meter: usage, model: unit, unit_price: "1" }`, ['region']),
      csv(`${H},region`, ['e1,a,2026-10-01 00:00:00,1.5,US-EAST-1', 'e2,a,2026-10-01 00:00:00,2,eu-north-9']));
    expect(r.lines.map((l) => [l.dimension, l.quantity])).toEqual([['other', '4.000'], ['us-east', '3.000']]);
  });

  it('rejects values missing from the table when asked', async () => {
    const r = await rate(ruleset(`mediation:\n  - map: { field: region, table: { a1: x }, reject: unknown_region }\n${unitPrice()}`, ['region']),
      csv(`${H},region`, ['e1,a,2026-10-01 00:00:00,1,a1', 'e2,a,2026-10-01 00:00:00,1,zz']));
    expect(r.rejects.map((x) => [x.reason, x.detail])).toEqual([['unknown_region', 'region="zz"']]);
  });
});

describe('cast', () => {
  it('converts strictly: over-precise, exponent and non-numbers are rejected, never rounded', async () => {
    const r = await rate(ruleset(`mediation:
  - cast: { field: raw, to: "decimal(18,2)", reason: bad_amount, required: true }
meters:
  usage: { aggregation: sum, value: raw }
prices:
  - { charge: usage, meter: usage, model: unit, unit_price: "1" }`, ['raw']),
      csv(`${H},raw`, ['e1,a,2026-10-01 00:00:00,1,1.25', 'e2,a,2026-10-01 00:00:00,1,1.255', 'e3,a,2026-10-01 00:00:00,1,1e3', 'e4,a,2026-10-01 00:00:00,1,abc', 'e5,a,2026-10-01 00:00:00,1,', 'e6,a,2026-10-01 00:00:00,1, 2.5 ']));
    expect(r.lines.map((l) => l.quantity)).toEqual(['3.750']);
    expect(r.rejects.map((x) => x.line)).toEqual(['3', '4', '5', '6']);
    expect(new Set(r.rejects.map((x) => x.reason))).toEqual(new Set(['bad_amount']));
  });
});

describe('dedupe', () => {
  it('drops exact re-deliveries and rejects conflicting ones, keeping the first', async () => {
    const r = await rate(ruleset(`mediation:\n  - dedupe: {}\n${unitPrice()}`),
      csv(H, ['e1,a,2026-10-01 00:00:00,5', 'e1,a,2026-10-01 00:00:00,5', 'e1,a,2026-10-01 00:00:00,6', 'e2,a,2026-10-01 00:00:00,1']));
    expect(r.lines.map((l) => l.quantity)).toEqual(['6.000']);
    expect(r.manifest.counts).toMatchObject({ rows_read: 4, accepted: 2, duplicates: 1, rejected: 1 });
    expect(r.rejects.map((x) => [x.line, x.reason])).toEqual([['4', 'conflicting_duplicate']]);
  });

  it('dedupes on a declared key of several fields; rows missing part of the key are never duplicates', async () => {
    const r = await rate(ruleset(`mediation:\n  - dedupe: { key: [account, req] }\n${unitPrice()}`, ['req']),
      csv(`${H},req`, ['e1,a,2026-10-01 00:00:00,5,r1', 'e2,a,2026-10-01 00:00:00,5,r1', 'e3,b,2026-10-01 00:00:00,5,r1', 'e4,a,2026-10-01 00:00:00,7,', 'e5,a,2026-10-01 00:00:00,7,']));
    // e2 repeats (a, r1) with another id: a conflict; e3 is another account; e4 and e5 have no req.
    expect(r.manifest.counts).toMatchObject({ rows_read: 5, accepted: 4, duplicates: 0, rejected: 1 });
    expect(r.rejects.map((x) => [x.line, x.reason])).toEqual([['3', 'conflicting_duplicate']]);
    expect(r.lines.map((l) => [l.account, l.quantity])).toEqual([['a', '19.000'], ['b', '5.000']]);
  });
});

describe('enrich', () => {
  const accounts = 'account_id,plan,parent\na,pro,p1\nb,free,p1\n';
  const body = (unmatched: string) => `mediation:
  - enrich: { file: accounts.csv, key: account, on: account_id, fields: { plan: string, parent: string }${unmatched} }
meters:
  usage: { aggregation: sum, value: qty, dimensions: [plan, parent] }
prices:
  - { charge: usage, meter: usage, model: unit, unit_price: "1" }`;
  it('joins a reference table and rejects unmatched keys', async () => {
    const r = await rate(ruleset(body('')), csv(H, ['e1,a,2026-10-01 00:00:00,1', 'e2,b,2026-10-01 00:00:00,2', 'e3,zz,2026-10-01 00:00:00,3']), { files: { 'accounts.csv': accounts } });
    expect(r.lines.map((l) => [l.account, l.dimension])).toEqual([['a', 'pro|p1'], ['b', 'free|p1']]);
    expect(r.rejects.map((x) => x.reason)).toEqual(['unknown_account']);
  });
  it('uses defaults for unmatched keys when declared', async () => {
    const r = await rate(ruleset(body(', unmatched: default, defaults: { plan: basic }')), csv(H, ['e3,zz,2026-10-01 00:00:00,3']), { files: { 'accounts.csv': accounts } });
    expect(r.lines.map((l) => l.dimension)).toEqual(['basic|']);
  });
  it('refuses a reference table whose key repeats', async () => {
    await expect(rate(ruleset(body('')), csv(H, ['e1,a,2026-10-01 00:00:00,1']), { files: { 'accounts.csv': `${accounts}a,x,y\n` } })).rejects.toThrow(/repeats the key "a"/);
  });
});

describe('split', () => {
  const body = `mediation:
  - split:
      into:
        - { values: { kind: request }, set: { amount: "1" } }
        - { values: { kind: input }, set: { amount: tokens_in } }
        - { values: { kind: output }, set: { amount: tokens_out } }
  - validate: { rule: "amount >= 0", reason: negative_tokens }
meters:
  usage: { aggregation: sum, value: amount, dimensions: kind }
prices:
  - { charge: usage, meter: usage, model: unit, unit_price: "1" }`;
  it('turns one transaction into several events, and rejects a transaction whole', async () => {
    const r = await rate(ruleset(body, ['tokens_in', 'tokens_out']).replace('tokens_in: { type: string }', 'tokens_in: { type: integer }').replace('tokens_out: { type: string }', 'tokens_out: { type: integer }'),
      csv(`${H},tokens_in,tokens_out`, ['e1,a,2026-10-01 00:00:00,0,100,20', 'e2,a,2026-10-01 00:00:00,0,50,-5']));
    expect(r.lines.map((l) => [l.dimension, l.quantity])).toEqual([['input', '100.000'], ['output', '20.000'], ['request', '1.000']]);
    expect(r.manifest.counts).toMatchObject({ rows_read: 2, accepted: 1, rejected: 1 });
    expect(r.rejects.map((x) => [x.line, x.reason])).toEqual([['3', 'negative_tokens']]);
  });
});
