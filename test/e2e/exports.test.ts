/** `tally run --export`: export profiles written beside the charges, from the same lines, all or nothing. */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { tally, tempDir, write } from '../helpers/cli.js';

const RULESET = 'rulesets/examples/cloud-api.yaml';
const USAGE = 'fixtures/usage/cloud-api.csv';
const ACCOUNTS = ['acct-acme', 'acct-globex', 'acct-hooli', 'acct-initech'];

describe('tally run --export', () => {
  it('writes NetSuite usage from the same lines as charges.csv, with subscription lines from the enrichment table', () => {
    const dir = tempDir();
    const enrichment = write(dir, 'subscriptions.csv', `account,charge,subscription_line,item\n${ACCOUNTS.map((a, i) => `${a},,SL-${i + 1},ITEM-USAGE`).join('\n')}\n`);
    const out = path.join(dir, 'out');
    const r = tally(['run', RULESET, USAGE, '--out', out, '--export', 'netsuite,generic-csv', '--export-enrichment', enrichment]);
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.outputs).toEqual(expect.arrayContaining(['netsuite-usage.csv', 'charges-export.csv']));
    const netsuite = parse(fs.readFileSync(path.join(out, 'netsuite-usage.csv')), { columns: true }) as Record<string, string>[];
    const generic = parse(fs.readFileSync(path.join(out, 'charges-export.csv')), { columns: true }) as Record<string, string>[];
    // NetSuite takes the lines with usage; each keyed by its line id, and the subscription line is the account's.
    const withUsage = generic.filter((l) => Number(l.quantity) !== 0);
    expect(netsuite).toHaveLength(withUsage.length);
    expect(new Set(netsuite.map((r) => r['External ID'])).size).toBe(netsuite.length);
    for (const row of netsuite) {
      const line = generic.find((l) => row['External ID']!.endsWith(l.line_id!))!;
      expect(line, row['External ID']).toBeDefined();
      expect(row['Usage Quantity']).toBe(line.quantity);
      expect(row['Subscription Line']).toBe(`SL-${ACCOUNTS.indexOf(line.account!) + 1}`);
    }
    // The generic export carries the same amounts as charges.csv.
    const total = (rows: Record<string, string>[], col: string) => rows.reduce((s, r) => s + BigInt(r[col]!.replace('.', '')), 0n);
    expect(total(generic, 'amount')).toBe(BigInt(manifest.totals.USD.amount.replace('.', '')));
  });

  it('an export repeated over the same usage keys its rows identically', () => {
    const dir = tempDir();
    const a = tally(['run', RULESET, USAGE, '--out', path.join(dir, 'a'), '--no-state', '--export', 'generic-jsonl']);
    const b = tally(['run', RULESET, USAGE, '--out', path.join(dir, 'b'), '--no-state', '--export', 'generic-jsonl']);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'a/charges-export.jsonl'), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'b/charges-export.jsonl'), 'utf8'));
  });

  it('a profile defined in YAML, without code', () => {
    const dir = tempDir();
    const profile = write(dir, 'erp.yaml', `name: erp
target: In-house ERP
format: csv
file: erp-usage.csv
columns:
  - { header: Key, key: true }
  - { header: Customer, field: account }
  - { header: Month, field: period_start, date: MM/YYYY }
  - { header: Amount, field: amount }
`);
    const out = path.join(dir, 'out');
    const r = tally(['run', RULESET, USAGE, '--out', out, '--no-state', '--export', profile]);
    expect(r.code, r.stderr).toBe(0);
    const rows = parse(fs.readFileSync(path.join(out, 'erp-usage.csv')), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((x) => x.Month))).toEqual(new Set(['10/2026']));
  });

  it('an unknown profile or a missing enrichment table fails the run with nothing written', () => {
    const dir = tempDir();
    const out = path.join(dir, 'out');
    const typo = tally(['run', RULESET, USAGE, '--out', out, '--no-state', '--export', 'netsuit']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('netsuite');
    expect(typo.stderr).not.toMatch(/\n\s+at /);
    const missing = tally(['run', RULESET, USAGE, '--out', out, '--no-state', '--export', 'netsuite']);
    expect(missing.code).toBe(2); // a missing argument: a usage error
    expect(missing.stderr).toContain('enrichment');
    expect(fs.readdirSync(out).filter((f) => !f.startsWith('.'))).toEqual([]);
  });

  it('an account missing from the enrichment table fails before the state records anything', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    const partial = write(dir, 'partial.csv', 'account,charge,subscription_line,item\nacct-acme,,SL-1,ITEM\n');
    const r = tally(['run', RULESET, USAGE, '--out', path.join(dir, 'a'), '--state', state, '--export', 'netsuite', '--export-enrichment', partial]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('acct-globex');
    const full = write(dir, 'full.csv', `account,charge,subscription_line,item\n${ACCOUNTS.map((a) => `${a},,SL,ITEM`).join('\n')}\n`);
    const again = tally(['run', RULESET, USAGE, '--out', path.join(dir, 'b'), '--state', state, '--export', 'netsuite', '--export-enrichment', full, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).state.repeated).toBe(false); // the failed run left nothing behind
  });
});
