/**
 * Renders a run's records with an export profile: the text of one import file, CSV (RFC 4180, header row,
 * LF line ends) or JSONL (one object per line, every value a string so money and quantities stay exact).
 * The records are the profile's kind: charge lines, wallet ledger entries or top-ups; each kind says below how
 * it is selected, keyed and read, and the rest (columns, dates, enrichment) is shared.
 *
 * Money is formatted with `fixedText`: a line's amounts at its minor units, ledger amounts as wallet-entries.csv
 * writes them (at least the currency's places, never rounded); quantities at their scale without rounding.
 * No value ever passes through a JavaScript number.
 */
import { DataError, UsageError } from '../../cli/errors.js';
import { fixedText, ZERO, type Decimal } from '../../pricing/decimal.js';
import { placesOf } from '../../ruleset/currencies.js';
import type { ChargeLine } from '../../run/rate.js';
import type { Entry, TopUp } from '../../wallet/types.js';
import { csvRecord } from '../sinks/csv-record.js';
import { compileDateFormat, formatInstant, secondBefore } from './date-format.js';
import { lookupEnrichment, type EnrichmentTable } from './enrichment.js';
import {
  enrichmentColumns, profileProblems,
  type EntryField, type ExportColumn, type ExportProfile, type LineField, type RecordField, type RecordKind, type TopUpField,
} from './profile.js';

/** A ledger entry of the run with its id (run/settle.ts `SettledEntry`). */
export type ExportEntry = Entry & { entryId: string };

export interface ExportInput {
  /** The run's charge lines, for a charge_lines profile. */
  lines?: readonly ChargeLine[];
  /** The run's ledger entries, for a wallet_entries profile (none when the run keeps no wallet state). */
  entries?: readonly ExportEntry[];
  /** The run's top-ups, for a top_ups profile (none when the run keeps no wallet state). */
  topUps?: readonly TopUp[];
  /** The run's id (deterministic for a ruleset and its inputs): part of late lines' keys. */
  runId?: string;
  /** Canonical UTC text, e.g. `2026-11-01 06:00:00`; only for a `generated_at` column. */
  generatedAt?: string;
  enrichment?: EnrichmentTable;
  /** Zone for dates when the profile names none (pass the ruleset's); UTC when absent. */
  timezone?: string;
}

export interface RenderedExport {
  fileName: string;
  text: string;
  /** Records written (header excluded). */
  records: number;
  /** Records the profile's filters left out (only charge lines are filtered). */
  skipped: number;
}

/**
 * The idempotency key of a line. A line id is stable across re-runs, so re-exporting the same run upserts
 * the same records. A late line carries the id of the line it adjusts, so its key adds the run id: the
 * adjustment becomes a record of its own instead of overwriting the original usage in the target.
 */
export function exportKey(profile: ExportProfile, line: ChargeLine, runId: string | undefined): string {
  if (!line.late) return `${profile.keyPrefix}${line.lineId}`;
  if (!runId) {
    throw new DataError(`line ${line.lineId} (${line.account}, ${line.period}, ${line.charge}) is a late-usage adjustment and its export key needs the run id; none was given`,
      'pass the run id to the export (tally run does); without it the adjustment would overwrite the billed line in the target');
  }
  return `${profile.keyPrefix}${line.lineId}-${runId}`;
}

/** The lines a profile exports, in input order. */
export function selectLines(profile: ExportProfile, lines: readonly ChargeLine[]): ChargeLine[] {
  return lines.filter((l) => {
    if (l.wallet?.held && !profile.includeHeld) return false;
    if (profile.include === 'nonzero_quantity') return !l.quantity.isZero();
    if (profile.include === 'nonzero') return !(l.quantity.isZero() && l.priced.amount.isZero());
    return true;
  });
}

/** Raw text of a line field (instants as canonical UTC text). */
function lineText(line: ChargeLine, f: LineField, input: ExportInput): string {
  const p = line.priced;
  const money = (x: typeof ZERO) => fixedText(x, line.minorUnits);
  switch (f) {
    case 'line_id': return line.lineId;
    case 'account': return line.account;
    case 'period': return line.period;
    case 'period_start': return line.periodStart;
    case 'period_end': return line.periodEnd;
    case 'period_end_inclusive': return secondBefore(line.periodEnd) ?? notAnInstant(`line ${line.lineId}`, 'period_end', line.periodEnd);
    case 'incurred_at': return line.at;
    case 'charge': return line.charge;
    case 'meter': return line.meter;
    case 'dimension': return line.dimensionLabel;
    case 'dimensions': return Object.entries(line.dims).map(([k, v]) => `${k}=${v ?? ''}`).join(';');
    case 'price_version': return String(line.version);
    // Never fewer places than the value has: formatting must not round a quantity.
    case 'quantity': return fixedText(line.quantity, Math.max(line.quantityScale, line.quantity.decimalPlaces()));
    case 'unit_price': return p.unitPrice ? p.unitPrice.toFixed() : '';
    case 'tier_ref': return p.tierRef;
    case 'amount': return money(p.amount);
    case 'amount_exact': return p.exact.toFixed();
    case 'currency': return line.currency;
    case 'covered_by_commitment': return money(line.wallet?.coveredByCommitment ?? ZERO);
    case 'covered_by_credits': return money(line.wallet?.coveredByCredits ?? ZERO);
    // A run without wallet state leaves all of a line to invoice.
    case 'overage': return money(line.wallet ? line.wallet.overage : p.amount);
    case 'status': return line.wallet?.held ? 'held' : line.late ? 'late' : 'billed';
    case 'late': return line.late ? 'true' : 'false';
    case 'run_id': return input.runId ?? '';
    case 'generated_at': return input.generatedAt ?? '';
  }
}

/**
 * A ledger amount as wallet-entries.csv and top-ups.csv write it (moneyText): at least the currency's places,
 * more when the amount has them (a virtual currency keeps up to 12), never rounded.
 */
const ledgerMoney = (d: Decimal, currency: string | null) => (currency ? fixedText(d, Math.max(placesOf(currency), d.decimalPlaces())) : d.toFixed());

/** Raw text of a ledger entry field, with the meanings of wallet-entries.csv. */
function entryText(e: ExportEntry, f: EntryField, input: ExportInput): string {
  switch (f) {
    case 'entry_id': return e.entryId;
    case 'run_id': return input.runId ?? '';
    case 'type': return e.type;
    case 'at': return e.at;
    case 'account': return e.account;
    case 'wallet': return e.wallet ?? '';
    case 'grant': return e.grant ?? '';
    case 'commitment': return e.commitment ?? '';
    case 'line_id': return e.lineId ?? '';
    case 'period_start': return e.periodStart ?? '';
    case 'amount': return ledgerMoney(e.amount, e.currency);
    case 'currency': return e.currency;
    case 'fiat_amount': return e.fiatAmount === null ? '' : ledgerMoney(e.fiatAmount, e.fiatCurrency);
    case 'fiat_currency': return e.fiatCurrency ?? '';
    case 'generated_at': return input.generatedAt ?? '';
  }
}

/** Raw text of a top-up field, with the meanings of top-ups.csv. */
function topUpText(t: TopUp, f: TopUpField, input: ExportInput): string {
  switch (f) {
    case 'grant_id': return t.grant.id;
    case 'run_id': return input.runId ?? '';
    case 'account': return t.account;
    case 'wallet': return t.grant.wallet;
    case 'at': return t.grant.effectiveAt;
    case 'amount': return ledgerMoney(t.grant.amount, t.currency);
    case 'currency': return t.currency;
    case 'price_paid': return t.grant.costBasis === null ? '' : ledgerMoney(t.grant.costBasis, t.currency);
    case 'triggered_by_line': return t.lineId;
    case 'generated_at': return input.generatedAt ?? '';
  }
}

/** What rendering needs of one kind of record. */
interface Kind<R> {
  /** The records of the input a profile may export, in order. */
  select(profile: ExportProfile, input: ExportInput): { records: R[]; given: number };
  key(profile: ExportProfile, r: R, runId: string | undefined): string;
  /** Fields are checked against the kind by profileProblems before rendering. */
  text(r: R, f: RecordField, input: ExportInput): string;
  /** For the enrichment join: entries and top-ups have no charge, so they read the account's row. */
  account(r: R): string;
  charge(r: R): string;
  dims(r: R): Record<string, string | null>;
  /** Names the record in an error message. */
  label(r: R): string;
}

const NO_DIMS: Record<string, string | null> = {};

const KINDS: { [K in RecordKind]: Kind<K extends 'charge_lines' ? ChargeLine : K extends 'wallet_entries' ? ExportEntry : TopUp> } = {
  charge_lines: {
    select: (profile, input) => ({ records: selectLines(profile, input.lines ?? []), given: input.lines?.length ?? 0 }),
    key: exportKey,
    text: (l, f, input) => lineText(l, f as LineField, input),
    account: (l) => l.account,
    charge: (l) => l.charge,
    dims: (l) => l.dims,
    label: (l) => `line ${l.lineId}`,
  },
  // An entry id is the run id and the entry's place in the run, so it is already unique across runs.
  wallet_entries: {
    select: (_profile, input) => ({ records: [...(input.entries ?? [])], given: input.entries?.length ?? 0 }),
    key: (profile, e) => `${profile.keyPrefix}${e.entryId}`,
    text: (e, f, input) => entryText(e, f as EntryField, input),
    account: (e) => e.account,
    charge: () => '',
    dims: () => NO_DIMS,
    label: (e) => `entry ${e.entryId}`,
  },
  // A top-up is keyed by the grant it added, whose id is the run id and its place among the run's top-ups.
  top_ups: {
    select: (_profile, input) => ({ records: [...(input.topUps ?? [])], given: input.topUps?.length ?? 0 }),
    key: (profile, t) => `${profile.keyPrefix}${t.grant.id}`,
    text: (t, f, input) => topUpText(t, f as TopUpField, input),
    account: (t) => t.account,
    charge: () => '',
    dims: () => NO_DIMS,
    label: (t) => `top-up ${t.grant.id}`,
  },
};

function notAnInstant(who: string, what: string, text: string): never {
  throw new DataError(`${who}: ${what} "${text}" is not a UTC time of the form 2026-10-01 00:00:00`, 'export records as the run produced them');
}

/** A column, ready to fill: its date pattern compiled once. */
type CellWriter<R> = (r: R, row: Record<string, string> | undefined) => string;

function cellWriter<R>(kind: Kind<R>, profile: ExportProfile, column: ExportColumn, input: ExportInput, timeZone: string): CellWriter<R> {
  const s = column.source;
  switch (s.kind) {
    case 'constant': return () => s.value;
    case 'key': return (r) => kind.key(profile, r, input.runId);
    case 'dimension': return (r) => kind.dims(r)[s.name] ?? '';
    case 'enrichment': return (_r, row) => row?.[s.column] ?? '';
    case 'field': {
      const compiled = column.date === undefined ? undefined : compileDateFormat(column.date);
      if (!compiled) return (r) => kind.text(r, s.field, input);
      if ('bad' in compiled) throw new Error('unreachable: profiles are checked before rendering');
      return (r) => {
        const text = kind.text(r, s.field, input);
        if (text === '') return '';
        return formatInstant(text, compiled.tokens, timeZone) ?? notAnInstant(kind.label(r), s.field, text);
      };
    }
  }
}

/** At most this many missing accounts are named in a message; the count says how many more. */
const NAMED = 10;

/** The enrichment row of each record; fails naming every account that lacks a required value. */
function enrichmentRows<R>(kind: Kind<R>, profile: ExportProfile, records: readonly R[], table: EnrichmentTable | undefined): (Record<string, string> | undefined)[] {
  const needed = enrichmentColumns(profile);
  if (!needed.length) return records.map(() => undefined);
  if (!table) {
    throw new UsageError(`export profile ${profile.name} takes ${needed.join(', ')} from an enrichment table, and none was given`,
      `give a CSV file with a header row: ${[profile.enrichment?.account ?? 'account', ...(profile.enrichment?.charge ? [profile.enrichment.charge] : []), ...needed].join(',')}`);
  }
  const absent = needed.filter((c) => !table.columns.includes(c));
  if (absent.length) {
    throw new DataError(`${table.file}:1: the enrichment file has no column ${absent.map((c) => `"${c}"`).join(', ')}, which export profile ${profile.name} needs`,
      `add ${absent.length > 1 ? 'these columns' : 'the column'} to the file (its columns: ${table.columns.join(', ')})`);
  }
  const required = new Set(profile.columns.flatMap((c) => (c.source.kind === 'enrichment' && !c.source.optional ? [c.source.column] : [])));
  const missing = new Map<string, Set<string>>(); // account (and charge) → columns without a value
  const rows = records.map((r) => {
    const account = kind.account(r);
    const charge = kind.charge(r);
    const row = lookupEnrichment(table, account, charge);
    for (const c of required) {
      if (!row?.[c]) {
        const who = table.join.charge && charge ? `${account} (charge ${charge})` : account;
        missing.set(who, (missing.get(who) ?? new Set()).add(c));
      }
    }
    return row;
  });
  if (missing.size) {
    const list = [...missing].slice(0, NAMED).map(([who, cols]) => `${who}: ${[...cols].join(', ')}`);
    const more = missing.size > NAMED ? `, and ${missing.size - NAMED} more` : '';
    throw new DataError(`${table.file} has no value for ${missing.size} account${missing.size > 1 ? 's' : ''} that export profile ${profile.name} needs (${list.join('; ')}${more}); nothing was exported`,
      `add a row per account to ${table.file}${table.join.charge ? ' (an empty charge covers all of its charges)' : ''}, or mark the column optional in the profile`);
  }
  return rows;
}

export function renderExport(profile: ExportProfile, input: ExportInput): RenderedExport {
  const problems = profileProblems(profile);
  if (problems.length) throw new UsageError(problems.join('\n'), 'fix the export profile');
  return renderRecords(KINDS[profile.records] as Kind<unknown>, profile, input);
}

function renderRecords<R>(kind: Kind<R>, profile: ExportProfile, input: ExportInput): RenderedExport {
  const { records, given } = kind.select(profile, input);
  const rows = enrichmentRows(kind, profile, records, input.enrichment);
  const timeZone = profile.timezone ?? input.timezone ?? 'UTC';
  const writers = profile.columns.map((c) => cellWriter(kind, profile, c, input, timeZone));
  const headers = profile.columns.map((c) => c.header);
  let text = profile.format === 'csv' ? csvRecord(headers) : '';
  records.forEach((r, i) => {
    const cells = writers.map((w) => w(r, rows[i]));
    text += profile.format === 'csv' ? csvRecord(cells) : `${JSON.stringify(Object.fromEntries(headers.map((h, j) => [h, cells[j]])))}\n`;
  });
  return { fileName: profile.fileName, text, records: records.length, skipped: given - records.length };
}
