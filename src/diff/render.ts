/** The diff report as a terminal table, Markdown (for a pull request), JSON, or a self-contained HTML page. */
import { moneyText, placesOf } from '../ruleset/currencies.js';
import { Decimal } from '../pricing/index.js';
import { barChart, columnChart } from '../report/svg-charts.js';
import { page, section, table } from '../report/html.js';
import { percentText, signed, type DiffReport, type DiffLine, type Movement } from './compare.js';

const money = moneyText;
const delta = (m: Movement) => signed(m.delta, Math.max(placesOf(m.currency), m.delta.decimalPlaces()));
const TOP = 10;

function rowsOf(report: DiffReport) {
  return {
    totals: report.totals.map((t) => [t.currency, money(t.old, t.currency), money(t.new, t.currency), delta(t), percentText(t.percent)]),
    charges: report.byCharge.map((c) => [c.charge, c.currency, money(c.old, c.currency), money(c.new, c.currency), delta(c), percentText(c.percent)]),
    accounts: report.byAccount.slice(0, TOP).map((a) => [a.account, a.currency, money(a.old, a.currency), money(a.new, a.currency), delta(a), percentText(a.percent)]),
    movers: report.movers.map((a) => [a.account, a.currency, money(a.old, a.currency), money(a.new, a.currency), delta(a), percentText(a.percent)]),
  };
}

const lineText = (l: DiffLine) => [l.account, l.period, l.charge, l.dimension || '—', `${money(l.amount, l.currency)} ${l.currency}`];

export function renderText(report: DiffReport): string {
  const r = rowsOf(report);
  const grid = (head: string[], rows: string[][], numericFrom: number) => {
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)));
    const fmt = (x: string[]) => x.map((c, i) => (i >= numericFrom ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd();
    return [fmt(head), ...rows.map(fmt)].join('\n');
  };
  const out = [
    `${report.old.source} → ${report.new.source} on ${report.inputs.length} input file${report.inputs.length === 1 ? '' : 's'}`,
    '',
    grid(['total', 'old', 'new', 'change', '%'], r.totals, 1),
    '',
    grid(['charge', 'currency', 'old', 'new', 'change', '%'], r.charges, 2),
    '',
    `largest movers (of ${report.byAccount.length} accounts):`,
    grid(['account', 'currency', 'old', 'new', 'change', '%'], r.accounts, 2),
    '',
    `lines: ${report.lines.changed} changed, ${report.lines.added} added, ${report.lines.removed} removed, ${report.lines.unchanged} unchanged`,
    `accounts moving more than ${report.threshold.toFixed()} %: ${report.movers.length}`,
  ];
  return `${out.join('\n')}\n`;
}

export function renderMarkdown(report: DiffReport): string {
  const r = rowsOf(report);
  const md = (head: string[], rows: string[][], numericFrom: number) => [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i >= numericFrom ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((x) => `| ${x.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
  const parts = [
    `### Revenue impact: \`${report.old.source}\` → \`${report.new.source}\``,
    '',
    md(['Currency', 'Old', 'New', 'Change', '%'], r.totals, 1),
    '',
    '#### By charge',
    '',
    md(['Charge', 'Currency', 'Old', 'New', 'Change', '%'], r.charges, 2),
    '',
    `#### Largest movers (top ${Math.min(TOP, report.byAccount.length)} of ${report.byAccount.length} accounts)`,
    '',
    md(['Account', 'Currency', 'Old', 'New', 'Change', '%'], r.accounts, 2),
    '',
    `Lines: ${report.lines.changed} changed, ${report.lines.added} added, ${report.lines.removed} removed, ${report.lines.unchanged} unchanged. ` +
      `Accounts moving more than ${report.threshold.toFixed()} %: ${report.movers.length}.`,
  ];
  if (report.added.length) parts.push('', '#### Lines added', '', md(['Account', 'Period', 'Charge', 'Dimension', 'Amount'], report.added.map(lineText), 4));
  if (report.removed.length) parts.push('', '#### Lines removed', '', md(['Account', 'Period', 'Charge', 'Dimension', 'Amount'], report.removed.map(lineText), 4));
  return `${parts.join('\n')}\n`;
}

export function renderJson(report: DiffReport): string {
  const replacer = (_k: string, v: unknown) => (v instanceof Decimal || (v && typeof v === 'object' && 'toFixed' in v && 'decimalPlaces' in v) ? (v as Decimal).toFixed() : v);
  return `${JSON.stringify(report, replacer, 2)}\n`;
}

/** Buckets of per-account change, in percent. */
const BUCKETS: { label: string; test: (p: Decimal | null, d: Decimal) => boolean }[] = [
  { label: 'new', test: (p, d) => p === null && !d.isZero() },
  { label: '≤ −20 %', test: (p) => p !== null && p.lte(-20) },
  { label: '−20 to −5', test: (p) => p !== null && p.gt(-20) && p.lte(-5) },
  { label: '−5 to 0', test: (p, d) => p !== null && p.gt(-5) && d.lt(0) },
  { label: 'unchanged', test: (_p, d) => d.isZero() },
  { label: '0 to 5', test: (p, d) => p !== null && d.gt(0) && p.lt(5) },
  { label: '5 to 20', test: (p) => p !== null && p.gte(5) && p.lt(20) },
  { label: '≥ 20 %', test: (p) => p !== null && p.gte(20) },
];

export function renderHtml(report: DiffReport, verdict?: string): string {
  const r = rowsOf(report);
  const cls = (m: Movement) => (m.delta.gt(0) ? 'up' : m.delta.lt(0) ? 'down' : '');
  const num = (m: Movement, text: string) => ({ html: text, cls: cls(m) });
  const currencies = report.totals.map((t) => t.currency);
  const charts = currencies.map((cur) => {
    const charges = report.byCharge.filter((c) => c.currency === cur);
    const accounts = report.byAccount.filter((a) => a.currency === cur);
    const buckets = BUCKETS.map((b) => ({ label: b.label, count: accounts.filter((a) => b.test(a.percent, a.delta)).length }));
    return barChart(`Change by charge (${cur})`, charges.map((c) => ({ label: c.charge, value: c.delta, text: `${delta(c)} (${percentText(c.percent)})` })))
      + columnChart(`Accounts by change of their bill (${cur})`, buckets);
  });
  const cards = report.totals.map((t) => `<div class="card"><div>${t.currency}</div><div class="big ${cls(t)}">${delta(t)}</div><div>${money(t.old, t.currency)} → ${money(t.new, t.currency)} (${percentText(t.percent)})</div></div>`);
  const sections = [
    `<div class="cards">${cards.join('')}</div>${verdict ? `<p>${verdict}</p>` : ''}`,
    section('Impact', ...charts),
    section('By charge', table([{ title: 'Charge' }, { title: 'Currency' }, { title: 'Old', numeric: true }, { title: 'New', numeric: true }, { title: 'Change', numeric: true }, { title: '%', numeric: true }],
      report.byCharge.map((c, i) => [...r.charges[i]!.slice(0, 4), num(c, r.charges[i]![4]!), num(c, r.charges[i]![5]!)]))),
    section(`Largest movers (top ${Math.min(TOP, report.byAccount.length)} of ${report.byAccount.length} accounts)`, table([{ title: 'Account' }, { title: 'Currency' }, { title: 'Old', numeric: true }, { title: 'New', numeric: true }, { title: 'Change', numeric: true }, { title: '%', numeric: true }],
      report.byAccount.slice(0, TOP).map((a, i) => [...r.accounts[i]!.slice(0, 4), num(a, r.accounts[i]![4]!), num(a, r.accounts[i]![5]!)]))),
    section('Lines', `<p>${report.lines.changed} changed, ${report.lines.added} added, ${report.lines.removed} removed, ${report.lines.unchanged} unchanged; ${report.movers.length} accounts move more than ${report.threshold.toFixed()} %.</p>`,
      ...(report.added.length ? ['<h3>Added</h3>', table([{ title: 'Account' }, { title: 'Period' }, { title: 'Charge' }, { title: 'Dimension' }, { title: 'Amount', numeric: true }], report.added.map(lineText))] : []),
      ...(report.removed.length ? ['<h3>Removed</h3>', table([{ title: 'Account' }, { title: 'Period' }, { title: 'Charge' }, { title: 'Dimension' }, { title: 'Amount', numeric: true }], report.removed.map(lineText))] : [])),
  ];
  return page(`Rate-card change: ${report.old.name} → ${report.new.name}`, `${report.old.source} (version ${report.old.version}) → ${report.new.source} (version ${report.new.version}), on ${report.inputs.join(', ')}`, sections);
}
