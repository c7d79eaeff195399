/**
 * Per-account contract terms declared beside the rate card: an amendment mid-period splits the period's
 * rating at its instant, and tiers either continue across it (tier_basis: group) or restart (tier_basis:
 * version). Every figure is worked out by hand in the comments.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { tally, tempDir, write } from '../helpers/cli.js';
import { unitsRuleset } from '../helpers/units-ruleset.js';

const usage = `event_id,account_id,ts,units
e1,acme,2026-10-10 12:00:00,80
e2,acme,2026-10-20 12:00:00,60
e3,globex,2026-10-05 09:00:00,50
e4,initech,2026-10-05 09:00:00,50
`;

const ruleset = (tierBasis: string) => unitsRuleset('contracts', `  - charge: api
    meter: units
    model: graduated
    tier_basis: ${tierBasis}
    tiers:
      - { up_to: "100", unit_price: "1.00" }
      - { unit_price: "0.50" }
    contracts:
      # acme's amendment from Oct 15: cheaper tiers.
      - account: acme
        effective_from: 2026-10-15
        tiers:
          - { up_to: "100", unit_price: "0.80" }
          - { unit_price: "0.40" }
      # globex: 10 % off the rate card for the whole month.
      - { account: globex, effective_from: 2026-10-01, discount: "0.10" }
`);

function rate(tierBasis: string): Record<string, string>[] {
  const dir = tempDir();
  const r = tally(['run', write(dir, 'r.yaml', ruleset(tierBasis)), write(dir, 'u.csv', usage), '-o', path.join(dir, 'out')]);
  expect(r.code, r.stderr).toBe(0);
  return parse(fs.readFileSync(path.join(dir, 'out/charges.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
}

const amounts = (lines: Record<string, string>[]) => lines.map((l) => [l.account_id, l.quantity, l.price_version, l.amount]);

describe('contract terms and amendments', () => {
  it('tiers continue across a mid-period amendment (tier_basis: group)', () => {
    // acme before Oct 15: 80 units in tier 1 at 1.00 = 80.00 (rate card, version 0).
    // After: the running total goes 80 → 140: 20 more in tier 1 at 0.80 = 16.00, 40 in tier 2 at 0.40 = 16.00: 32.00.
    // globex: 50 × 1.00 × 0.90 = 45.00. initech has no contract: 50 × 1.00 = 50.00.
    expect(amounts(rate('group'))).toEqual([
      ['acme', '80.000', '0', '80.00'],
      ['acme', '60.000', '1', '32.00'],
      ['globex', '50.000', '2', '45.00'],
      ['initech', '50.000', '0', '50.00'],
    ]);
  });

  it('tiers restart at the amendment (tier_basis: version)', () => {
    // acme after Oct 15 starts its own tiers: 60 units in tier 1 at 0.80 = 48.00.
    expect(amounts(rate('version')).find((l) => l[2] === '1')).toEqual(['acme', '60.000', '1', '48.00']);
  });

  it('contracts kept apart from the rate card (a top-level section, e.g. a contracts.yaml in a ruleset folder) rate the same', () => {
    const dir = tempDir();
    const [card] = ruleset('group').split('    contracts:\n');
    const folder = path.join(dir, 'ruleset');
    fs.mkdirSync(folder);
    write(folder, 'ruleset.yaml', card!);
    write(folder, 'contracts.yaml', `contracts:
  - charge: api
    account: acme
    effective_from: 2026-10-15
    tiers:
      - { up_to: "100", unit_price: "0.80" }
      - { unit_price: "0.40" }
  - { charge: api, account: globex, effective_from: 2026-10-01, discount: "0.10" }
`);
    const r = tally(['run', folder, write(dir, 'u.csv', usage), '-o', path.join(dir, 'out')]);
    expect(r.code, r.stderr).toBe(0);
    const lines = parse(fs.readFileSync(path.join(dir, 'out/charges.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(amounts(lines)).toEqual(amounts(rate('group')));
    write(folder, 'contracts.yaml', 'contracts:\n  - { charge: apii, account: acme, effective_from: 2026-10-01, discount: "0.1" }\n');
    const bad = tally(['validate', folder]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/contracts\.yaml:2:\d+ contracts\[0\]\.charge: no price is named "apii"/);
  });

  it('terms set with `tally contract set` rate like terms in the ruleset, and a re-rate bills terms set afterwards', () => {
    const dir = tempDir();
    const card = write(dir, 'card.yaml', ruleset('group').split('    contracts:\n')[0]!);
    const u = write(dir, 'u.csv', usage);
    const ok = (r: { code: number; stderr: string }) => expect(r.code, r.stderr).toBe(0);
    const setTerms = (state: string) => {
      ok(tally(['contract', 'set', 'acme', '--charge', 'api', '--from', '2026-10-15', '--tiers', '100:0.80,:0.40', '--state', state]));
      ok(tally(['contract', 'set', 'globex', '--charge', 'api', '--from', '2026-10-01', '--discount', '0.10', '--state', state]));
    };
    // Billed first at the rate card (acme: 100 × 1.00 + 40 × 0.50 = 120.00), then the terms arrive and a re-rate
    // bills the difference: acme 80.00 + 32.00 − 120.00 = −8.00, globex 45.00 − 50.00 = −5.00.
    const state = path.join(dir, 'state.duckdb');
    ok(tally(['run', card, u, '-o', path.join(dir, 'run'), '--state', state]));
    setTerms(state);
    ok(tally(['rerate', u, '--period', '2026-10', '-o', path.join(dir, 'rr'), '--state', state]));
    const summary = parse(fs.readFileSync(path.join(dir, 'rr/summary.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(summary.map((x) => [x.account_id, x.billed_before, x.billed_after, x.change])).toEqual([
      ['acme', '120.00', '112.00', '-8.00'], ['globex', '50.00', '45.00', '-5.00'], ['initech', '50.00', '50.00', '0.00'],
    ]);
    // From scratch with the terms in the state: the same lines as terms written in the ruleset.
    const fresh = path.join(dir, 'fresh.duckdb');
    setTerms(fresh);
    ok(tally(['run', card, u, '-o', path.join(dir, 'fresh'), '--state', fresh]));
    expect(amounts(parse(fs.readFileSync(path.join(dir, 'fresh/charges.csv'), 'utf8'), { columns: true }) as Record<string, string>[])).toEqual(amounts(rate('group')));
    const list = tally(['contract', 'list', '--json', '--state', fresh]);
    expect(JSON.parse(list.stdout).map((c: { account: string; from: string }) => [c.account, c.from])).toEqual([['acme', '2026-10-15'], ['globex', '2026-10-01']]);
    const again = tally(['contract', 'set', 'acme', '--charge', 'api', '--from', '2026-10-15', '--discount', '0.5', '--state', fresh]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('terms are never changed');
  });

  it('terms out of order, or a discount with an uplift, are ruleset errors with their position', () => {
    const dir = tempDir();
    const bad = ruleset('group')
      .replace('- { account: globex, effective_from: 2026-10-01, discount: "0.10" }', '- { account: acme, effective_from: 2026-10-01, discount: "0.10", uplift: "0.10" }');
    const r = tally(['validate', write(dir, 'r.yaml', bad)]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/r\.yaml:\d+:\d+ prices\[0\]\.contracts\[1\]\.effective_from: an account's contract terms must be in increasing effective_from order/);
  });
});
