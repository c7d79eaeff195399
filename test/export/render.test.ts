import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { DataError, UsageError } from '../../src/cli/errors.js';
import { parseEnrichment } from '../../src/io/exports/enrichment.js';
import { constant, enriched, ENTRY_FIELDS, field, key, type ExportProfile } from '../../src/io/exports/profile.js';
import { exportKey, renderExport, selectLines } from '../../src/io/exports/render.js';
import { genericCsv, genericEntriesCsv, genericTopUpsCsv, genericTopUpsJsonl } from '../../src/io/exports/builtin/generic.js';
import { netsuite } from '../../src/io/exports/builtin/netsuite.js';
import { netsuiteTopUps } from '../../src/io/exports/builtin/netsuite-topups.js';
import { writeEntries, writeTopUps } from '../../src/io/sinks/wallet-files.js';
import { dec } from '../../src/pricing/decimal.js';
import { tempDir } from '../helpers/cli.js';
import { enrichment, ENTRIES, LINES, line, RUN_ID, TOP_UPS } from './fixtures.js';

const profile = (over: Partial<ExportProfile> = {}): ExportProfile => ({
  name: 'test', target: 'tests', fileName: 'out.csv', format: 'csv', records: 'charge_lines', include: 'all', includeHeld: true, keyPrefix: 'k-',
  columns: [key('Key'), field('Account', 'account')], ...over,
});

const caught = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
};

describe('idempotency key', () => {
  it('is the same in two renders and distinct per line', () => {
    const first = renderExport(genericCsv, { lines: LINES, runId: RUN_ID });
    const second = renderExport(genericCsv, { lines: LINES.map((l) => ({ ...l })), runId: RUN_ID });
    expect(second.text).toBe(first.text);
    const keys = (parse(first.text, { columns: true }) as Record<string, string>[]).map((r) => r.key);
    expect(new Set(keys).size).toBe(LINES.length);
  });

  it('keeps a late line apart from the billed line it adjusts, by the run id', () => {
    const billed = line({ lineId: 'abc', quantity: dec('5') });
    const late = { ...billed, late: true };
    expect(exportKey(profile(), billed, RUN_ID)).toBe('k-abc');
    expect(exportKey(profile(), late, RUN_ID)).toBe('k-abc-run-0123456789abcdef');
    expect(exportKey(profile(), late, 'run-ffff')).not.toBe(exportKey(profile(), late, RUN_ID));
  });

  it('refuses a late line without a run id', () => {
    const e = caught(() => renderExport(profile(), { lines: [line({ lineId: 'abc', late: true })] }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toMatch(/late-usage adjustment.*needs the run id/);
  });
});

describe('line selection', () => {
  const ids = (p: ExportProfile) => selectLines(p, LINES).map((l) => l.lineId.slice(0, 2));
  it('all keeps every line; held lines only when asked', () => {
    expect(ids(profile())).toEqual(['a1', 'b2', 'c3', 'd4', 'e5', 'f6', '07']);
    expect(ids(profile({ includeHeld: false }))).toEqual(['a1', 'b2', 'c3', 'd4', 'e5', '07']);
  });
  it('nonzero keeps a late line that moves the price without quantity; nonzero_quantity drops it', () => {
    expect(ids(profile({ include: 'nonzero', includeHeld: false }))).toEqual(['a1', 'b2', 'c3', 'd4', '07']);
    expect(ids(profile({ include: 'nonzero_quantity', includeHeld: false }))).toEqual(['a1', 'b2', 'c3', '07']);
  });
  it('counts what it skips', () => {
    const out = renderExport(netsuite, { lines: LINES, runId: RUN_ID, enrichment: enrichment() });
    expect([out.records, out.skipped]).toEqual([4, 3]);
  });
});

describe('enrichment', () => {
  const withContract = (optional: boolean) => profile({
    enrichment: { account: 'account' },
    columns: [key('Key'), field('Account', 'account'), enriched('Contract', 'contract', optional)],
  });
  const table = parseEnrichment('account,contract\nacme,C-1\nglobex,\n', 'contracts.csv', { account: 'account' });
  const lines = [line({ lineId: 'l1' }), line({ lineId: 'l2', account: 'globex' }), line({ lineId: 'l3', account: 'initech' }), line({ lineId: 'l4', account: 'initech' })];

  it('fails naming each account without a row or a value, once, and exports nothing', () => {
    const e = caught(() => renderExport(withContract(false), { lines, enrichment: table }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toBe('contracts.csv has no value for 2 accounts that export profile test needs (globex: contract; initech: contract); nothing was exported');
    expect((e as DataError).hint).toMatch(/add a row per account to contracts.csv, or mark the column optional/);
  });

  it('leaves an optional column empty', () => {
    const out = renderExport(withContract(true), { lines, enrichment: table });
    expect(out.text).toBe('Key,Account,Contract\nk-l1,acme,C-1\nk-l2,globex,\nk-l3,initech,\nk-l4,initech,\n');
  });

  it('asks for the table when none is given', () => {
    const e = caught(() => renderExport(withContract(false), { lines }));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe('export profile test takes contract from an enrichment table, and none was given');
    expect((e as UsageError).hint).toBe('give a CSV file with a header row: account,contract');
  });

  it('names a column the table lacks', () => {
    const thin = parseEnrichment('account,other\nacme,x\n', 'thin.csv', { account: 'account' });
    const e = caught(() => renderExport(withContract(false), { lines, enrichment: thin }));
    expect(e.message).toBe('thin.csv:1: the enrichment file has no column "contract", which export profile test needs');
  });

  it('prefers the row of the charge, then the account row with an empty charge', () => {
    const t = parseEnrichment('account,charge,contract\nacme,,ALL\nacme,storage,STO\n', 'c.csv', { account: 'account', charge: 'charge' });
    const p = { ...withContract(false), enrichment: { account: 'account', charge: 'charge' } };
    const out = renderExport(p, { lines: [line({ lineId: 'x' }), line({ lineId: 'y', charge: 'storage' })], enrichment: t });
    expect(out.text).toBe('Key,Account,Contract\nk-x,acme,ALL\nk-y,acme,STO\n');
  });

  it('rejects a duplicated row and a missing join column, naming file and line', () => {
    expect(caught(() => parseEnrichment('account,contract\nacme,A\nglobex,B\nacme,C\n', 'd.csv', { account: 'account' })).message)
      .toBe('d.csv:4: a second row for account acme (the first is on line 2)');
    expect(caught(() => parseEnrichment('customer,contract\nacme,A\n', 'd.csv', { account: 'account' })).message)
      .toBe('d.csv:1: the enrichment file has no "account" column to join the account on (its columns: customer, contract)');
    expect(caught(() => parseEnrichment('account,contract\nacme,A,extra\n', 'd.csv', { account: 'account' })).message).toMatch(/^d\.csv:2: not a valid CSV file/);
  });
});

describe('CSV quoting', () => {
  it('quotes awkward values and they read back unchanged', () => {
    const awkward = ['comma, here', 'quote " here', 'line\nbreak', 'crlf\r\nbreak', ' spaced ', '=SUM(A1)', 'plain', ''];
    const p = profile({ columns: [key('Key'), field('Account', 'account'), field('Dims', 'dimensions'), constant('Note, "quoted"', 'x')] });
    const lines = awkward.map((a, i) => line({ lineId: `l${i}`, account: a, dims: { 'a,b': a } }));
    const out = renderExport(p, { lines });
    expect(out.text.split('\n')[0]).toBe('Key,Account,Dims,"Note, ""quoted"""');
    const back = parse(out.text, { columns: true }) as Record<string, string>[];
    expect(back.map((r) => r.Account)).toEqual(awkward);
    expect(back.map((r) => r.Dims)).toEqual(awkward.map((a) => `a,b=${a}`));
  });

  it('writes JSONL with every value a string', () => {
    const p = profile({ format: 'jsonl', columns: [key('key'), field('amount', 'amount'), field('quantity', 'quantity')] });
    const l = line({ lineId: 'j', quantity: dec('0.000001'), quantityScale: 2, priced: { exact: dec('12345678901234567890.125'), amount: dec('12345678901234567890.13'), unitPrice: null, tierRef: '' } });
    expect(renderExport(p, { lines: [l] }).text).toBe('{"key":"k-j","amount":"12345678901234567890.13","quantity":"0.000001"}\n');
  });
});

describe('dates', () => {
  const p = (date: string, timezone?: string) => profile({ columns: [key('Key'), field('Start', 'period_start', date), field('Last', 'period_end_inclusive', date), field('At', 'incurred_at', date)], ...(timezone ? { timezone } : {}) });
  // January in Paris: the period starts at 23:00 UTC on December 31.
  const january = line({ lineId: 'j', period: '2027-01', periodStart: '2026-12-31 23:00:00', periodEnd: '2027-01-31 23:00:00', at: '2027-01-15 08:30:00.250000' });

  it('formats in the profile zone, else the caller zone, else UTC', () => {
    expect(renderExport(p('MM/DD/YYYY'), { lines: [january] }).text.split('\n')[1]).toBe('k-j,12/31/2026,01/31/2027,01/15/2027');
    expect(renderExport(p('MM/DD/YYYY'), { lines: [january], timezone: 'Europe/Paris' }).text.split('\n')[1]).toBe('k-j,01/01/2027,01/31/2027,01/15/2027');
    expect(renderExport(p('iso-datetime', 'Europe/Paris'), { lines: [january], timezone: 'UTC' }).text.split('\n')[1])
      .toBe('k-j,2027-01-01T00:00:00+01:00,2027-01-31T23:59:59+01:00,2027-01-15T09:30:00+01:00');
  });

  it('keeps fractions without rounding and handles summer time', () => {
    expect(renderExport(p('YYYY-MM-DD HH:mm:ss.SSS'), { lines: [january] }).text.split('\n')[1]).toBe('k-j,2026-12-31 23:00:00.000,2027-01-31 22:59:59.000,2027-01-15 08:30:00.250');
    const july = line({ lineId: 'j', periodStart: '2026-06-30 22:00:00', periodEnd: '2026-07-31 22:00:00', at: '2026-07-31 21:59:59.999999' });
    expect(renderExport(p('YYYY-MM-DDTHH:mm:ss.SSSSSSZ', 'Europe/Paris'), { lines: [july] }).text.split('\n')[1])
      .toBe('k-j,2026-07-01T00:00:00.000000+02:00,2026-07-31T23:59:59.000000+02:00,2026-07-31T23:59:59.999999+02:00');
  });

  it('crosses a year and a leap day going one second back', () => {
    const leap = line({ lineId: 'j', periodStart: '2028-02-01 00:00:00', periodEnd: '2028-03-01 00:00:00' });
    const year = line({ lineId: 'k', periodStart: '2026-12-01 00:00:00', periodEnd: '2027-01-01 00:00:00' });
    const out = renderExport(profile({ columns: [key('Key'), field('Last', 'period_end_inclusive', 'iso-date')] }), { lines: [leap, year] });
    expect(out.text).toBe('Key,Last\nk-j,2028-02-29\nk-k,2026-12-31\n');
  });

  it('rejects a time that is not canonical UTC text', () => {
    const bad = line({ lineId: 'z', periodStart: '2026-10-01T00:00:00Z' });
    expect(caught(() => renderExport(p('iso-date'), { lines: [bad] })).message).toBe('line z: period_start "2026-10-01T00:00:00Z" is not a UTC time of the form 2026-10-01 00:00:00');
  });
});

describe('profile checks before rendering', () => {
  it('refuses a profile without exactly one key column, or with a bad date format', () => {
    expect(caught(() => renderExport(profile({ columns: [field('A', 'account')] }), { lines: [] })).message).toBe('profile test must have exactly one key column (it has 0)');
    expect(caught(() => renderExport(profile({ columns: [key('K'), field('D', 'period_start', 'MM/DD/YY')] }), { lines: [] })).message)
      .toMatch(/^profile test: column "D": bad date format "MM\/DD\/YY"/);
  });
});

describe('wallet entries and top-ups', () => {
  const entries = (over: Partial<ExportProfile> = {}) => profile({ records: 'wallet_entries', include: 'all', includeHeld: false, ...over });
  const topUps = (over: Partial<ExportProfile> = {}) => profile({ records: 'top_ups', include: 'all', includeHeld: false, ...over });

  it('keys an entry by its entry id and a top-up by its grant id, with the prefix', () => {
    const e = renderExport(entries({ columns: [key('Key'), field('Type', 'type'), field('Amount', 'amount')] }), { entries: ENTRIES.slice(0, 2), lines: LINES });
    expect(e.text).toBe('Key,Type,Amount\nk-run-0123456789abcdef:1,grant,50.00\nk-run-0123456789abcdef:2,commitment_drawdown,-2.00\n');
    expect([e.records, e.skipped]).toEqual([2, 0]);
    const t = renderExport(topUps({ columns: [key('Key'), field('Paid', 'price_paid')] }), { topUps: TOP_UPS.slice(0, 1) });
    expect(t.text).toBe('Key,Paid\nk-run-0123456789abcdef-topup-1,15.00\n');
  });

  it('writes the same amounts as wallet-entries.csv and top-ups.csv', () => {
    const dir = tempDir();
    writeEntries(path.join(dir, 'e.csv'), ENTRIES.map((e) => ({ ...e })));
    writeTopUps(path.join(dir, 't.csv'), TOP_UPS);
    const sink = (f: string) => parse(fs.readFileSync(path.join(dir, f)), { columns: true }) as Record<string, string>[];
    const mine = (p: ExportProfile, input: Parameters<typeof renderExport>[1]) => parse(renderExport(p, input).text, { columns: true }) as Record<string, string>[];
    const e = mine(genericEntriesCsv, { entries: ENTRIES });
    expect(e.map((r) => [r.entry_id, r.type, r.at, r.account, r.amount, r.currency, r.fiat_amount, r.line_id]))
      .toEqual(sink('e.csv').map((r) => [r.entry_id, r.type, r.at, r.account_id, r.amount, r.currency, r.fiat_amount, r.line_id]));
    const t = mine(genericTopUpsCsv, { topUps: TOP_UPS });
    expect(t.map((r) => [r.grant_id, r.wallet, r.account, r.at, r.amount, r.currency, r.triggered_by_line]))
      .toEqual(sink('t.csv').map((r) => [r.grant_id, r.wallet_id, r.account_id, r.at, r.amount, r.currency, r.triggered_by_line]));
  });

  it('formats entry times in the zone, and leaves an entry without a period empty', () => {
    const p = entries({ timezone: 'Europe/Paris', columns: [key('Key'), field('At', 'at', 'iso-datetime'), field('Period', 'period_start', 'iso-date')] });
    expect(renderExport(p, { entries: [ENTRIES[0]!, ENTRIES[2]!] }).text.split('\n').slice(1, 3)).toEqual([
      'k-run-0123456789abcdef:1,2026-10-01T02:00:00+02:00,',
      'k-run-0123456789abcdef:3,2026-10-30T18:45:12+01:00,2026-10-01',
    ]);
  });

  it('writes only the header when the run has none (a run with --no-state)', () => {
    expect(renderExport(genericEntriesCsv, { lines: LINES }).text).toBe(`${Object.keys(ENTRY_FIELDS).reduce((h, f) => `${h},${f}`, 'key')}\n`);
    expect(renderExport(genericTopUpsJsonl, { lines: LINES })).toEqual({ fileName: 'top-ups-export.jsonl', text: '', records: 0, skipped: 0 });
  });

  it('joins top-ups on the account row whose charge is empty, naming an account without one', () => {
    const t = parseEnrichment('account,charge,item\nacme,,PACK\nglobex,api_calls,X\n', 'items.csv', { account: 'account', charge: 'charge' });
    const e = caught(() => renderExport(netsuiteTopUps, { topUps: TOP_UPS, enrichment: t }));
    expect(e.message).toBe('items.csv:1: the enrichment file has no column "topup_item", which export profile netsuite-topups needs');
    const withItem = parseEnrichment('account,charge,topup_item\nacme,,PACK\nglobex,api_calls,X\n', 'items.csv', { account: 'account', charge: 'charge' });
    expect(caught(() => renderExport(netsuiteTopUps, { topUps: TOP_UPS, enrichment: withItem })).message)
      .toBe('items.csv has no value for 2 accounts that export profile netsuite-topups needs (globex: topup_item; Smith, "Bob" & Co: topup_item); nothing was exported');
  });

  it('refuses a field, a dimension or a filter that belongs to charge lines', () => {
    const e = caught(() => renderExport(entries({ include: 'nonzero', columns: [key('K'), field('Q', 'quantity'), { header: 'R', source: { kind: 'dimension', name: 'region' } }] }), {}));
    expect(e.message.split('\n')).toEqual([
      `profile test: column "Q": quantity is not a field of wallet_entries (fields: ${Object.keys(ENTRY_FIELDS).join(', ')})`,
      'profile test: column "R": only charge lines have dimensions',
      'profile test: include and include_held apply to charge lines; wallet_entries are all exported',
    ]);
    expect(caught(() => renderExport(topUps({ columns: [key('K'), field('W', 'wallet', 'iso-date')] }), {})).message).toBe('profile test: column "W" has a date format but is not a date field');
  });
});
