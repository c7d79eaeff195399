/**
 * The revenue impact of a rate-card change: the same usage rated by two rulesets, compared line by line.
 * Pure: it takes the two sets of lines and returns the report every renderer (terminal, Markdown, JSON,
 * HTML) draws from.
 *
 * Lines are matched on account, period, charge, dimensions and currency; price versions are summed, since a
 * new rate card may add or drop versions. Amounts are the rounded line amounts, as a bill shows them.
 */
import { dec, Decimal, ZERO } from '../pricing/index.js';

export interface DiffLine {
  account: string;
  period: string;
  charge: string;
  dimension: string;
  currency: string;
  amount: Decimal;
}

export interface Movement {
  currency: string;
  old: Decimal;
  new: Decimal;
  delta: Decimal;
  /** delta / old × 100; null when old is zero (nothing to compare with). */
  percent: Decimal | null;
}

export interface DiffReport {
  old: { name: string; version: string; source: string };
  new: { name: string; version: string; source: string };
  inputs: string[];
  totals: Movement[];
  byCharge: (Movement & { charge: string })[];
  /** Largest absolute change first. */
  byAccount: (Movement & { account: string })[];
  lines: { added: number; removed: number; changed: number; unchanged: number };
  /** The largest lines only one side has (at most `listLimit` each). */
  added: DiffLine[];
  removed: DiffLine[];
  /** Percentage above which an account's move is reported. */
  threshold: Decimal;
  /** Accounts whose bill moves more than the threshold (or appears, or disappears). */
  movers: (Movement & { account: string })[];
}

export interface CompareOptions {
  old: DiffReport['old'];
  new: DiffReport['new'];
  inputs: string[];
  threshold: Decimal;
  listLimit?: number;
}

const SEP = '\u241f';

export function compareLines(oldLines: readonly DiffLine[], newLines: readonly DiffLine[], opts: CompareOptions): DiffReport {
  const key = (l: DiffLine) => [l.account, l.period, l.charge, l.dimension, l.currency].join(SEP);
  const sum = (lines: readonly DiffLine[]) => {
    const m = new Map<string, DiffLine>();
    for (const l of lines) {
      const k = key(l);
      const seen = m.get(k);
      m.set(k, seen ? { ...seen, amount: seen.amount.plus(l.amount) } : { ...l });
    }
    return m;
  };
  const before = sum(oldLines);
  const after = sum(newLines);

  const counts = { added: 0, removed: 0, changed: 0, unchanged: 0 };
  const added: DiffLine[] = [];
  const removed: DiffLine[] = [];
  for (const [k, l] of after) {
    const o = before.get(k);
    if (!o) {
      counts.added++;
      added.push(l);
    } else if (o.amount.eq(l.amount)) counts.unchanged++;
    else counts.changed++;
  }
  for (const [k, l] of before) {
    if (!after.has(k)) {
      counts.removed++;
      removed.push(l);
    }
  }

  const totals = group(before, after, (l) => l.currency);
  const byCharge = group(before, after, (l) => `${l.charge}${SEP}${l.currency}`).map((m) => ({ ...m, charge: m.key.split(SEP)[0]! }));
  const byAccount = group(before, after, (l) => `${l.account}${SEP}${l.currency}`)
    .map((m) => ({ ...m, account: m.key.split(SEP)[0]! }))
    .sort((a, b) => b.delta.abs().comparedTo(a.delta.abs()) || compare(a.account, b.account) || compare(a.currency, b.currency));
  const biggest = (xs: DiffLine[]) => xs.sort((a, b) => b.amount.abs().comparedTo(a.amount.abs()) || compare(key(a), key(b))).slice(0, opts.listLimit ?? 20);
  return {
    old: opts.old,
    new: opts.new,
    inputs: opts.inputs,
    totals: totals.map(strip),
    byCharge: byCharge.map((m) => ({ ...strip(m), charge: m.charge })),
    byAccount: byAccount.map((m) => ({ ...strip(m), account: m.account })),
    lines: counts,
    added: biggest(added),
    removed: biggest(removed),
    threshold: opts.threshold,
    movers: byAccount.filter((m) => !m.delta.isZero() && (m.percent === null || m.percent.abs().gt(opts.threshold))).map((m) => ({ ...strip(m), account: m.account })),
  };
}

/** Does any currency's total move by more than `percent`? (A total that appears from zero always does.) */
export function exceeds(report: DiffReport, percent: Decimal): Movement | null {
  for (const t of report.totals) {
    if (t.delta.isZero()) continue;
    if (t.percent === null || t.percent.abs().gt(percent)) return t;
  }
  return null;
}

function group(before: Map<string, DiffLine>, after: Map<string, DiffLine>, by: (l: DiffLine) => string): (Movement & { key: string })[] {
  const out = new Map<string, Movement & { key: string }>();
  const add = (l: DiffLine, side: 'old' | 'new') => {
    const k = by(l);
    const m = out.get(k) ?? { key: k, currency: l.currency, old: ZERO, new: ZERO, delta: ZERO, percent: null };
    m[side] = m[side].plus(l.amount);
    out.set(k, m);
  };
  for (const l of before.values()) add(l, 'old');
  for (const l of after.values()) add(l, 'new');
  const rows = [...out.values()].map((m) => {
    const delta = m.new.minus(m.old);
    return { ...m, delta, percent: m.old.isZero() ? null : delta.div(m.old.abs()).times(100) };
  });
  return rows.sort((a, b) => compare(a.key, b.key));
}

const strip = ({ currency, old, new: n, delta, percent }: Movement): Movement => ({ currency, old, new: n, delta, percent });

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function percentText(p: Decimal | null): string {
  if (p === null) return 'new';
  const r = p.toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN);
  return `${r.gt(0) ? '+' : ''}${r.toFixed(2)} %`;
}

export function signed(d: Decimal, places: number): string {
  return `${d.gt(0) ? '+' : ''}${d.toFixed(places)}`;
}

export { dec };
