import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { loadEnrichment } from '../../src/io/exports/enrichment.js';
import { BUILTIN_PROFILES, resolveExportProfile } from '../../src/io/exports/registry.js';
import { renderExport } from '../../src/io/exports/render.js';
import { parseYamlProfile } from '../../src/io/exports/yaml-profile.js';
import { tempDir } from '../helpers/cli.js';
import { ENTRY_FIELDS, TOPUP_FIELDS } from '../../src/io/exports/profile.js';
import { ENTRIES, LINES, RUN_ID, TOP_UPS } from './fixtures.js';

const PROFILE = `name: acme-erp
target: Acme ERP usage import
format: csv
file: acme-usage.csv
timezone: America/New_York
include: nonzero_quantity
key_prefix: tally-
enrichment:
  account: customer
  file: contracts.csv
columns:
  - { header: External Key, key: true }
  - { header: Customer, field: account }
  - { header: Contract Line, enrichment: contract_line, optional: true }
  - { header: Region, dimension: region }
  - { header: Usage Date, field: period_start, date: MM/DD/YYYY }
  - { header: Quantity, field: quantity }
  - { header: Rate, constant: 0.10 }
`;

const errorsOf = (yaml: string): string[] => {
  try {
    parseYamlProfile(yaml, 'p.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message.split('\n');
  }
  throw new Error('expected errors');
};

describe('YAML export profiles', () => {
  it('round-trips: read, resolved by path, rendered with its enrichment file', () => {
    const dir = tempDir();
    const file = path.join(dir, 'acme.yaml');
    fs.writeFileSync(file, PROFILE);
    fs.writeFileSync(path.join(dir, 'contracts.csv'), 'customer,contract_line\nacme,CL-9\n');
    const profile = resolveExportProfile(file);
    expect(profile).toEqual({
      name: 'acme-erp', target: 'Acme ERP usage import', fileName: 'acme-usage.csv', format: 'csv', records: 'charge_lines',
      include: 'nonzero_quantity', includeHeld: false, keyPrefix: 'tally-', timezone: 'America/New_York',
      enrichment: { account: 'customer', file: path.join(dir, 'contracts.csv') },
      columns: [
        { header: 'External Key', source: { kind: 'key' } },
        { header: 'Customer', source: { kind: 'field', field: 'account' } },
        { header: 'Contract Line', source: { kind: 'enrichment', column: 'contract_line', optional: true } },
        { header: 'Region', source: { kind: 'dimension', name: 'region' } },
        { header: 'Usage Date', source: { kind: 'field', field: 'period_start' }, date: 'MM/DD/YYYY' },
        { header: 'Quantity', source: { kind: 'field', field: 'quantity' } },
        { header: 'Rate', source: { kind: 'constant', value: '0.10' } },
      ],
    });
    const enrichment = loadEnrichment(profile.enrichment!.file!, profile.enrichment!);
    const out = renderExport(profile, { lines: LINES, runId: RUN_ID, enrichment });
    expect(out.fileName).toBe('acme-usage.csv');
    // New York is behind UTC: the October period starts on September 30 there.
    expect(out.text).toBe(`External Key,Customer,Contract Line,Region,Usage Date,Quantity,Rate
tally-a1a1a1a1a1a1a1a1a1a1a1a1,acme,CL-9,,09/30/2026,1500,0.10
tally-b2b2b2b2b2b2b2b2b2b2b2b2,acme,CL-9,eu-west,09/30/2026,12.345,0.10
tally-c3c3c3c3c3c3c3c3c3c3c3c3-run-0123456789abcdef,acme,CL-9,,08/31/2026,200,0.10
tally-0707070707070707070707a7,"Smith, ""Bob"" & Co",,,09/30/2026,7,0.10
`);
  });

  it('reports every problem with file:line:col and what to write', () => {
    const yaml = `name: bad
fromat: csv
file: out/usage.csv
timezone: Mars/Olympus
include: nonzero_quantities
columns:
  - { header: Key, key: true }
  - { header: Customer, field: acount }
  - { header: Day, field: period_start, date: MM/DD/YY }
  - { header: Charge, field: charge, date: MM/DD/YYYY }
  - { header: Both, field: account, constant: x }
  - { header: Nothing }
  - { header: Key, field: account }
  - { header: Flag, constant: x, optional: true }
`;
    expect(errorsOf(yaml)).toEqual([
      'p.yaml:2:1: unknown key "fromat" in the profile (did you mean "format"?); allowed: name, target, records, format, file, timezone, include, include_held, key_prefix, enrichment, columns',
      'p.yaml:3:7: file "out/usage.csv" must be a file name, not a path: the export goes to the run\'s output folder',
      'p.yaml:5:10: include "nonzero_quantities" is not one of all, nonzero, nonzero_quantity (did you mean "nonzero_quantity"?)',
      'p.yaml:4:11: unknown time zone "Mars/Olympus"; write an IANA name such as Europe/Paris, or UTC',
      expect.stringMatching(/^p\.yaml:8:32: unknown field "acount" \(did you mean "account"\?\); fields: line_id, account, /),
      expect.stringMatching(/^p\.yaml:9:47: bad date format "MM\/DD\/YY": "YY" is not a token; write a pattern of YYYY/),
      'p.yaml:10:44: date applies to the date fields only (period_start, period_end, period_end_inclusive, incurred_at, generated_at)',
      'p.yaml:11:5: the column "Both" has field and constant; give exactly one source',
      'p.yaml:12:5: the column "Nothing" has no source; give one of field, dimension, constant, enrichment, key: true',
      'p.yaml:13:5: a second column named "Key" (the first is at p.yaml:7:5); headers must differ',
      'p.yaml:14:34: optional applies to enrichment columns only',
    ]);
  });

  it('asks for a key column, an enrichment join and the required keys', () => {
    expect(errorsOf('name: x\nfile: x.csv\ncolumns:\n  - { header: A, field: account }\n')).toEqual([
      'p.yaml:4:3: no key column: add - { header: External ID, key: true } so that a repeated import never duplicates a record',
    ]);
    expect(errorsOf('name: x\nfile: x.csv\ncolumns:\n  - { header: K, key: true }\n  - { header: C, enrichment: contract }\n')).toEqual([
      'p.yaml:4:3: columns take values from enrichment but the profile has no enrichment: add enrichment: { account: <the table column holding the account> }',
    ]);
    expect(errorsOf('name: x\n')).toEqual(['p.yaml:1:1: the profile has no file', 'p.yaml:1:1: the profile has no columns']);
    expect(errorsOf('name: x\nfile: x.csv\nenrichment: { charge: c, sheet: s }\ncolumns:\n  - { header: K, key: true }\n')).toEqual([
      'p.yaml:3:26: unknown key "sheet" in enrichment; allowed: account, charge, file',
      'p.yaml:3:13: enrichment has no account: name the table column holding the account',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const lines = errorsOf('name: x\ncolumns:\n  - { header: K, key: true\n');
    expect(lines[0]).toMatch(/^p\.yaml:\d+:\d+: not valid YAML: /);
  });
});

describe('YAML profiles of wallet entries and top-ups', () => {
  it('reads records: wallet_entries and renders the ledger', () => {
    const profile = parseYamlProfile(`name: ledger
records: wallet_entries
file: ledger.csv
timezone: America/New_York
key_prefix: tally-
columns:
  - { header: Id, key: true }
  - { header: Kind, field: type }
  - { header: Customer, field: account }
  - { header: Day, field: at, date: MM/DD/YYYY }
  - { header: Amount, field: amount }
  - { header: Unit, field: currency }
  - { header: Line, field: line_id }
`, 'p.yaml');
    expect([profile.records, profile.include, profile.includeHeld]).toEqual(['wallet_entries', 'all', false]);
    const out = renderExport(profile, { lines: LINES, entries: ENTRIES.slice(0, 4), runId: RUN_ID });
    // New York is behind UTC: the grant at midnight UTC on October 1 is on September 30 there.
    expect(out.text).toBe(`Id,Kind,Customer,Day,Amount,Unit,Line
tally-run-0123456789abcdef:1,grant,acme,09/30/2026,50.00,USD,
tally-run-0123456789abcdef:2,commitment_drawdown,acme,10/30/2026,-2.00,USD,a1a1a1a1a1a1a1a1a1a1a1a1
tally-run-0123456789abcdef:3,drawdown,acme,10/30/2026,-3.00,USD,a1a1a1a1a1a1a1a1a1a1a1a1
tally-run-0123456789abcdef:4,drawdown,acme,10/30/2026,-1234.500000000000,credits,a1a1a1a1a1a1a1a1a1a1a1a1
`);
  });

  it('reads records: top_ups with enrichment on the account', () => {
    const dir = tempDir();
    const file = path.join(dir, 'topups.yaml');
    fs.writeFileSync(file, `name: credit-sales
records: top_ups
format: jsonl
file: credit-sales.jsonl
enrichment: { account: customer, file: items.csv }
columns:
  - { header: ref, key: true }
  - { header: customer, field: account }
  - { header: item, enrichment: sku }
  - { header: date, field: at, date: iso-date }
  - { header: price, field: price_paid }
`);
    fs.writeFileSync(path.join(dir, 'items.csv'), 'customer,sku\nglobex,SKU-G\n"Smith, ""Bob"" & Co",SKU-S\nacme,SKU-A\n');
    const profile = resolveExportProfile(file);
    const enrichment = loadEnrichment(profile.enrichment!.file!, profile.enrichment!);
    expect(renderExport(profile, { topUps: TOP_UPS.slice(0, 2), enrichment }).text).toBe(
      '{"ref":"run-0123456789abcdef-topup-1","customer":"globex","item":"SKU-G","date":"2026-10-30","price":"15.00"}\n'
      + '{"ref":"run-0123456789abcdef-topup-2","customer":"Smith, \\"Bob\\" & Co","item":"SKU-S","date":"2026-10-31","price":"1000"}\n');
  });

  it('names a field of another record kind with file:line:col and lists the valid fields', () => {
    expect(errorsOf(`name: x
records: wallet_entries
file: x.csv
columns:
  - { header: K, key: true }
  - { header: Q, field: quantity }
  - { header: P, field: price_paid }
  - { header: T, field: tpye }
`)).toEqual([
      `p.yaml:6:25: field "quantity" is a field of charge_lines, not of wallet_entries; fields: ${Object.keys(ENTRY_FIELDS).join(', ')}`,
      `p.yaml:7:25: field "price_paid" is a field of top_ups, not of wallet_entries; fields: ${Object.keys(ENTRY_FIELDS).join(', ')}`,
      `p.yaml:8:25: unknown field "tpye" (did you mean "type"?); fields: ${Object.keys(ENTRY_FIELDS).join(', ')}`,
    ]);
    expect(errorsOf(`name: x
records: top_ups
file: x.csv
columns:
  - { header: K, key: true }
  - { header: E, field: entry_id }
`)).toEqual([`p.yaml:6:25: field "entry_id" is a field of wallet_entries, not of top_ups; fields: ${Object.keys(TOPUP_FIELDS).join(', ')}`]);
  });

  it('refuses line filters, dimensions and dates on other fields, and an unknown record kind', () => {
    expect(errorsOf(`name: x
records: top_ups
file: x.csv
include: nonzero
include_held: true
columns:
  - { header: K, key: true }
  - { header: R, dimension: region }
  - { header: W, field: wallet, date: iso-date }
`)).toEqual([
      'p.yaml:4:1: include applies to charge lines only; top_ups are all exported',
      'p.yaml:5:1: include_held applies to charge lines only; top_ups are all exported',
      'p.yaml:8:18: dimension applies to charge lines only; top_ups have no dimensions',
      'p.yaml:9:39: date applies to the date fields only (at, generated_at)',
    ]);
    expect(errorsOf('name: x\nrecords: entries\nfile: x.csv\ncolumns:\n  - { header: K, key: true }\n')).toEqual([
      'p.yaml:2:10: records "entries" is not one of charge_lines, wallet_entries, top_ups',
    ]);
  });
});

describe('registry', () => {
  it('has the built-in profiles by name', () => {
    expect(Object.keys(BUILTIN_PROFILES)).toEqual(['netsuite', 'salesforce-billing', 'salesforce-revenue-cloud', 'workday', 'sage-intacct', 'generic-csv', 'generic-jsonl',
      'netsuite-topups', 'generic-entries-csv', 'generic-entries-jsonl', 'generic-topups-csv', 'generic-topups-jsonl']);
    for (const [name, p] of Object.entries(BUILTIN_PROFILES)) expect(resolveExportProfile(name)).toBe(p);
  });

  it('suggests a built-in name for a typo and reports an unreadable file', () => {
    try {
      resolveExportProfile('netsuit');
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as Error).message).toBe('unknown export profile "netsuit" (did you mean "netsuite"?)');
    }
    expect(() => resolveExportProfile('/nonexistent/profile.yaml')).toThrow(/cannot read the export profile \/nonexistent\/profile\.yaml/);
  });
});
