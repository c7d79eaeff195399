/**
 * `tally report RUN_DIR --html FILE`: a one-page summary of a run from its manifest (and balances.csv when
 * the run kept state): counts per stage, rejects per reason, charges by meter, top accounts, wallets.
 */
import { dec } from '../pricing/index.js';
import type { Manifest } from '../run/run.js';
import { escapeHtml, page, section, table } from './html.js';
import { barChart } from './svg-charts.js';

export interface BalanceCsvRow {
  kind: string;
  id: string;
  account_id: string;
  currency: string;
  balance: string;
  available: string;
  overdraft_used: string;
}

const count = (n: number) => n.toLocaleString('en');

export function renderRunReport(m: Manifest, balances: readonly BalanceCsvRow[] | null): string {
  const c = m.counts;
  const card = (title: string, value: string, note = '') => `<div class="card"><div>${escapeHtml(title)}</div><div class="big">${escapeHtml(value)}</div><div>${escapeHtml(note)}</div></div>`;
  const pct = (n: number) => (c.rows_read ? `${((100 * n) / c.rows_read).toFixed(2)} % of rows` : '');
  const cards = [
    card('rows read', count(c.rows_read), `${m.inputs.length} file${m.inputs.length === 1 ? '' : 's'}`),
    card('accepted', count(c.accepted), pct(c.accepted)),
    card('rejected', count(c.rejected), pct(c.rejected)),
    card('duplicates', count(c.duplicates), pct(c.duplicates)),
    card('filtered', count(c.filtered), pct(c.filtered)),
    ...Object.entries(m.totals).map(([cur, t]) => card(`billed (${cur})`, t.amount, `${count(t.lines)} lines`)),
  ];

  const stages = Object.entries(c.by_stage).map(([stage, s]) => ({ stage, n: s.rejected + s.filtered + s.duplicates, s }));
  const reasons = Object.entries(c.by_reason).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const sections = [
    `<div class="cards">${cards.join('')}</div>`,
    section('Rows set aside, per stage',
      stages.length ? barChart('Rows rejected, filtered or duplicated, per stage', stages.map((s) => ({ label: s.stage, value: dec(s.n), text: count(s.n) })), { neutral: true })
        + table([{ title: 'Stage' }, { title: 'Rejected', numeric: true }, { title: 'Filtered', numeric: true }, { title: 'Duplicates', numeric: true }],
          stages.map((s) => [s.stage, count(s.s.rejected), count(s.s.filtered), count(s.s.duplicates)]))
        : '<p>Every row was accepted.</p>'),
    section('Rejects, per reason',
      reasons.length ? barChart('Rejected rows per reason', reasons.map(([r, n]) => ({ label: r, value: dec(n), text: count(n) })), { neutral: true }) : '<p>No row was rejected.</p>'),
    section('Charges by meter',
      m.by_charge.length ? m.by_charge.map((b) => b.currency).filter((x, i, a) => a.indexOf(x) === i).map((cur) => barChart(`Billed per charge (${cur})`,
        m.by_charge.filter((b) => b.currency === cur).map((b) => ({ label: `${b.charge} (${b.meter})`, value: dec(b.amount), text: `${b.amount} ${cur}` })), { neutral: true })).join('')
        + table([{ title: 'Charge' }, { title: 'Meter' }, { title: 'Currency' }, { title: 'Lines', numeric: true }, { title: 'Amount', numeric: true }],
          m.by_charge.map((b) => [b.charge, b.meter, b.currency, count(b.lines), b.amount]))
        : '<p>No charge lines.</p>'),
    section('Top accounts',
      table([{ title: 'Account' }, { title: 'Currency' }, { title: 'Lines', numeric: true }, { title: 'Amount', numeric: true }], m.top_accounts.map((a) => [a.account, a.currency, count(a.lines), a.amount]))),
  ];
  if (m.state) {
    const s = m.state;
    sections.push(section('Credits and commitments',
      `<p>Run ${escapeHtml(s.run_id)}${s.repeated ? ' (a repeat: nothing new recorded)' : ''}${s.dry_run ? ' (dry run)' : ''}: ${count(s.entries)} ledger entries, ${count(s.top_ups)} top-ups${Object.keys(s.held).length ? `, held lines: ${Object.entries(s.held).map(([r, n]) => `${n} (${r})`).join(', ')}` : ''}.</p>`,
      table([{ title: 'Currency' }, { title: 'Covered by commitments', numeric: true }, { title: 'Covered by credits', numeric: true }, { title: 'Overage', numeric: true }],
        Object.entries(s.totals).map(([cur, t]) => [cur, t.covered_by_commitment, t.covered_by_credits, t.overage])),
      balances && balances.length
        ? table([{ title: 'Kind' }, { title: 'Id' }, { title: 'Account' }, { title: 'Currency' }, { title: 'Balance', numeric: true }, { title: 'Available', numeric: true }, { title: 'Overdraft used', numeric: true }],
          balances.map((b) => [b.kind, b.id, b.account_id, b.currency, b.balance, b.available, b.overdraft_used]))
        : '<p>No wallets or prepaid commitments.</p>'));
  }
  sections.push(section('Inputs', table([{ title: 'File' }, { title: 'Rows', numeric: true }, { title: 'Accepted', numeric: true }, { title: 'Rejected', numeric: true }, { title: 'Duplicates', numeric: true }, { title: 'Filtered', numeric: true }, { title: 'sha256' }],
    m.inputs.map((f) => [f.file, count(f.rows_read), count(f.accepted), count(f.rejected), count(f.duplicates), count(f.filtered), f.sha256.slice(0, 16)]))));
  return page(`Run of ${m.ruleset.name} (version ${m.ruleset.version})`, `${m.ruleset.file} · ${count(m.lines)} lines · tally ${m.tally}`, sections);
}
