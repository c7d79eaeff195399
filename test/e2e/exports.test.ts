/** `tally run --export`: export profiles written beside the charges, from the same lines and ledger, all or nothing. */
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

  it('exports the wallet entries and top-ups of a run with state, with the amounts of wallet-entries.csv and top-ups.csv', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    const ok = (args: string[]) => expect(tally([...args, '--state', state]).code).toBe(0);
    ok(['wallet', 'grant', 'acct-acme', '--amount', '50']);
    // An empty wallet that tops itself up when its balance falls below 5.
    ok(['wallet', 'create', 'globex-credit', '--account', 'acct-globex', '--top-up-below', '5', '--top-up-amount', '20', '--top-up-max', '2']);
    const items = write(dir, 'items.csv', `account,charge,subscription_line,item,topup_item\n${ACCOUNTS.map((a, i) => `${a},,SL-${i + 1},ITEM-USAGE,PREPAID-${i + 1}`).join('\n')}\n`);
    const run = (out: string, input = USAGE) => tally(['run', RULESET, input, '--out', path.join(dir, out), '--state', state,
      '--export', 'generic-entries-csv,generic-topups-csv,netsuite-topups', '--export-enrichment', items]);
    const first = run('a');
    expect(first.code, first.stderr).toBe(0);
    const read = (f: string, sub = 'a') => parse(fs.readFileSync(path.join(dir, sub, f)), { columns: true }) as Record<string, string>[];
    const ledger = read('wallet-entries.csv');
    const entries = read('wallet-entries-export.csv');
    // The run's draw-downs, each with the amount, wallet and line of wallet-entries.csv, keyed by its entry id.
    const drawdowns = entries.filter((e) => e.type === 'drawdown');
    expect(drawdowns.length).toBeGreaterThan(0);
    expect(drawdowns.filter((e) => e.account === 'acct-acme').reduce((s, e) => s + BigInt(e.amount!.replace('.', '')), 0n)).toBe(-5000n);
    expect(entries.map((e) => [e.key, e.type, e.account, e.wallet, e.grant, e.line_id, e.amount, e.currency, e.fiat_amount]))
      .toEqual(ledger.map((e) => [e.entry_id, e.type, e.account_id, e.wallet_id, e.grant_id, e.line_id, e.amount, e.currency, e.fiat_amount]));
    expect(entries.every((e) => e.run_id === e.entry_id!.split(':')[0])).toBe(true);
    // The top-ups: as top-ups.csv, and as NetSuite invoices with the account's item.
    const topUps = read('top-ups.csv');
    expect(topUps.length).toBeGreaterThan(0);
    expect(read('top-ups-export.csv').map((t) => [t.key, t.account, t.wallet, t.amount, t.currency, t.triggered_by_line]))
      .toEqual(topUps.map((t) => [t.grant_id, t.account_id, t.wallet_id, t.amount, t.currency, t.triggered_by_line]));
    expect(read('netsuite-topup-invoices.csv')).toEqual(topUps.map((t) => ({
      'External ID': `tally-${t.grant_id}`, Customer: 'acct-globex', Date: expect.stringMatching(/^\d\d\/\d\d\/2026$/), Item: 'PREPAID-2', Quantity: '1', Amount: '20.00', Currency: 'USD',
    })));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'a/manifest.json'), 'utf8'));
    expect(manifest.outputs).toEqual(expect.arrayContaining(['wallet-entries-export.csv', 'top-ups-export.csv', 'netsuite-topup-invoices.csv']));

    // The same run again (the input renamed): recognized, and exported with the same keys, byte for byte.
    const copy = path.join(dir, 'renamed.csv');
    fs.copyFileSync(USAGE, copy);
    const again = run('b', copy);
    expect(again.code, again.stderr).toBe(0);
    for (const f of ['wallet-entries-export.csv', 'top-ups-export.csv', 'netsuite-topup-invoices.csv']) {
      expect(fs.readFileSync(path.join(dir, 'b', f), 'utf8'), f).toBe(fs.readFileSync(path.join(dir, 'a', f), 'utf8'));
    }
  });

  it('without state, a profile of wallet entries or top-ups writes its header only', () => {
    const dir = tempDir();
    const out = path.join(dir, 'out');
    const r = tally(['run', RULESET, USAGE, '--out', out, '--no-state', '--export', 'generic-entries-csv,generic-topups-jsonl']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(out, 'wallet-entries-export.csv'), 'utf8')).toMatch(/^key,entry_id,run_id,type,at,account,[a-z_,]+\n$/);
    expect(fs.readFileSync(path.join(out, 'top-ups-export.jsonl'), 'utf8')).toBe('');
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
