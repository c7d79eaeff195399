/** compareLines with hand-made lines: matching, versions summed, added and removed lines, movers, the CI gate. */
import { describe, expect, it } from 'vitest';
import { dec } from '../../src/pricing/index.js';
import { compareLines, exceeds, percentText, type DiffLine } from '../../src/diff/compare.js';

const l = (account: string, charge: string, amount: string, dimension = '', currency = 'USD'): DiffLine => ({ account, period: '2026-10', charge, dimension, currency, amount: dec(amount) });
const side = (name: string) => ({ name, version: '1', source: `${name}.yaml` });

describe('compareLines', () => {
  const oldLines = [l('a', 'api', '100.00'), l('a', 'storage', '20.00', 'eu'), l('b', 'api', '50.00'), l('c', 'api', '10.00'), l('c', 'api', '5.00')];
  const newLines = [l('a', 'api', '110.00'), l('a', 'storage', '20.00', 'eu'), l('b', 'api', '40.00'), l('c', 'api', '15.00'), l('d', 'api', '7.00')];
  const r = compareLines(oldLines, newLines, { old: side('old'), new: side('new'), inputs: ['u.csv'], threshold: dec(10) });

  it('totals: 185.00 → 192.00 is +7.00, +3.78 %', () => {
    expect(r.totals.map((t) => [t.currency, t.old.toFixed(2), t.new.toFixed(2), t.delta.toFixed(2), percentText(t.percent)])).toEqual([['USD', '185.00', '192.00', '7.00', '+3.78 %']]);
  });

  it('per charge, and per account with the largest move first', () => {
    // api: 165 → 172 (+7); storage unchanged.
    expect(r.byCharge.map((c) => [c.charge, c.delta.toFixed(2)])).toEqual([['api', '7.00'], ['storage', '0.00']]);
    // a +10, b −10, d +7 (new), c 0 (two versions of one line summed: 15 → 15).
    expect(r.byAccount.map((a) => [a.account, a.delta.toFixed(2), percentText(a.percent)])).toEqual([
      ['a', '10.00', '+8.33 %'], ['b', '-10.00', '-20.00 %'], ['d', '7.00', 'new'], ['c', '0.00', '0.00 %'],
    ]);
  });

  it('lines added, removed, changed; movers past the threshold (and new accounts)', () => {
    expect(r.lines).toEqual({ added: 1, removed: 0, changed: 2, unchanged: 2 });
    expect(r.added.map((x) => x.account)).toEqual(['d']);
    expect(r.movers.map((m) => m.account)).toEqual(['b', 'd']);
  });

  it('the CI gate: over 3 % fails, over 4 % passes; a currency appearing always fails', () => {
    expect(exceeds(r, dec(3))?.currency).toBe('USD');
    expect(exceeds(r, dec(4))).toBeNull();
    const eur = compareLines([], [l('a', 'api', '1.00', '', 'EUR')], { old: side('o'), new: side('n'), inputs: [], threshold: dec(10) });
    expect(exceeds(eur, dec(50))?.currency).toBe('EUR');
  });
});
