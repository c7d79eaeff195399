/**
 * An export profile: how a run's records (charge lines, wallet ledger entries or top-ups) become the import file
 * of a billing or ERP system. A profile is data (built-in ones in builtin/, user ones read from YAML by
 * yaml-profile.ts); render.ts is the one writer.
 *
 * Decisions the profile makes explicit:
 * - which records: `records`, and for charge lines `include` (see LineFilter) and `includeHeld` (lines the
 *   waterfall held are not billable yet);
 * - the idempotency key: one column carries `keyPrefix` + the line id, entry id or top-up id (see render.ts
 *   `exportKey`), stable across re-exports of the same run, so an upsert on it never duplicates a record in the
 *   target system;
 * - per-company values (subscription lines, contract lines) come from an enrichment table joined on the account
 *   (and optionally the charge); see enrichment.ts.
 */
import { compileDateFormat, DATE_FORMAT_HELP, isTimeZone } from './date-format.js';

/** What a column can take from a charge line. Money is exact text at the line's minor units. */
export const LINE_FIELDS = {
  line_id: 'the line id (stable across re-runs: ruleset, account, period start, charge, price version, dimensions)',
  account: 'the billed account',
  period: 'the period label (2026-10, 2026-Q4...)',
  period_start: 'start of the billing period (an instant; formatted with `date`)',
  period_end: 'end of the billing period, exclusive (the next period starts then)',
  period_end_inclusive: 'the last second of the billing period (period_end less one second)',
  incurred_at: 'time of the last event of the line',
  charge: 'the charge name',
  meter: 'the meter name',
  dimension: 'the dimension values joined by |',
  dimensions: 'the dimensions as name=value;name=value',
  price_version: 'the price version in force',
  quantity: 'the metered quantity, never rounded',
  unit_price: 'the unit price when the price model has one, else empty',
  tier_ref: 'the tier or band that priced the line',
  amount: 'the line amount, rounded to the currency minor units',
  amount_exact: 'the exact amount before rounding',
  currency: 'the ISO currency code',
  covered_by_commitment: 'what a prepaid commitment paid of the line',
  covered_by_credits: 'what wallet credits paid of the line',
  overage: 'what is left to invoice (the amount, when the run keeps no wallet state)',
  status: 'billed, late or held',
  late: 'true for a late-usage adjustment line, else false',
  run_id: 'the run id given to the export (empty when none)',
  generated_at: 'when the export was generated (given to the export; an instant)',
} as const;

export type LineField = keyof typeof LINE_FIELDS;

/**
 * What a column can take from a wallet ledger entry (the rows of wallet-entries.csv, same meanings). Amounts are
 * exact text with at least the currency's places, as wallet-entries.csv writes them.
 */
export const ENTRY_FIELDS = {
  entry_id: 'the entry id: run id + ":" + its place in the run (stable: a repeated run replays the same entries)',
  run_id: 'the run id given to the export (the run that made the entry)',
  type: 'grant, topup, drawdown, overdraft, repay, expiry, void, commitment, commitment_drawdown, commitment_breakage or commitment_rollover',
  at: 'when the entry takes effect (an instant; for a draw-down, the time of the line it pays)',
  account: 'the account whose line consumed it (the child, for a pool draw-down), or the owner',
  wallet: 'the wallet it moves (empty for a commitment entry)',
  grant: 'the grant it draws from or adds (empty when none)',
  commitment: 'the commitment it moves (empty when none)',
  line_id: 'the charge line it pays (empty when none)',
  period_start: 'start of the billing period of that line (an instant; empty when none)',
  amount: 'signed amount in the wallet or commitment currency: credits positive, draw-downs negative',
  currency: 'the currency of amount (a virtual one such as credits, or ISO)',
  fiat_amount: 'what a draw-down covered of the line, in the line currency (empty otherwise)',
  fiat_currency: 'the currency of fiat_amount',
  generated_at: 'when the export was generated (given to the export; an instant)',
} as const;

export type EntryField = keyof typeof ENTRY_FIELDS;

/** What a column can take from a top-up: a credit purchase the wallet's top-up rule made (the rows of top-ups.csv). */
export const TOPUP_FIELDS = {
  grant_id: 'the top-up id, which is the id of the grant it added: run id + "-topup-" + n (stable across a repeated run)',
  run_id: 'the run id given to the export (the run that made the top-up)',
  account: 'the account that owns the wallet (the one to invoice)',
  wallet: 'the wallet topped up',
  at: 'when the grant was added (an instant: the time of the line that triggered it)',
  amount: 'the credit added, in the wallet currency',
  currency: 'the wallet currency',
  price_paid: "the grant's cost basis (what the customer pays; tally sets it to the amount, so it is in the wallet currency); empty when none",
  triggered_by_line: 'the charge line whose draw-down triggered it',
  generated_at: 'when the export was generated (given to the export; an instant)',
} as const;

export type TopUpField = keyof typeof TOPUP_FIELDS;

export const RECORD_KINDS = ['charge_lines', 'wallet_entries', 'top_ups'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** The fields each record kind offers. */
export const RECORD_FIELDS: Readonly<Record<RecordKind, Readonly<Record<string, string>>>> = {
  charge_lines: LINE_FIELDS,
  wallet_entries: ENTRY_FIELDS,
  top_ups: TOPUP_FIELDS,
};

export type RecordField = LineField | EntryField | TopUpField;

/** Fields holding an instant, per record kind: only these take a date format. */
export const INSTANT_FIELDS: Readonly<Record<RecordKind, ReadonlySet<string>>> = {
  charge_lines: new Set<LineField>(['period_start', 'period_end', 'period_end_inclusive', 'incurred_at', 'generated_at']),
  wallet_entries: new Set<EntryField>(['at', 'period_start', 'generated_at']),
  top_ups: new Set<TopUpField>(['at', 'generated_at']),
};

/** Whether `f` is a field of the record kind. */
export const isFieldOf = (records: RecordKind, f: string): boolean => Object.hasOwn(RECORD_FIELDS[records], f);

export type ColumnSource =
  /** A field of the profile's record kind (profileProblems checks it belongs there). */
  | { kind: 'field'; field: RecordField }
  /** The value of one dimension of the line (empty when the line has none); charge lines only. */
  | { kind: 'dimension'; name: string }
  | { kind: 'constant'; value: string }
  /** A column of the enrichment table's row for the line; `optional` leaves the cell empty when there is none. */
  | { kind: 'enrichment'; column: string; optional: boolean }
  /** The idempotency key. */
  | { kind: 'key' };

export interface ExportColumn {
  header: string;
  source: ColumnSource;
  /** For instant fields: a date-format.ts pattern; absent keeps the canonical text. */
  date?: string;
}

/**
 * - all: every line;
 * - nonzero: lines whose quantity or amount is not zero (a late line with quantity 0 that moves the price is kept);
 * - nonzero_quantity: lines with a quantity, for targets that price the usage themselves and ignore amounts.
 */
export const LINE_FILTERS = ['all', 'nonzero', 'nonzero_quantity'] as const;
export type LineFilter = (typeof LINE_FILTERS)[number];

export const FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof FORMATS)[number];

/**
 * How enrichment rows join the records: the table's column holding the account, and optionally the charge.
 * Wallet entries and top-ups have no charge: they read the account's row whose charge is empty.
 */
export interface EnrichmentJoin {
  account: string;
  charge?: string;
  /** A YAML profile may name its table file (relative to the profile); built-in ones get it from the caller. */
  file?: string;
}

export interface ExportProfile {
  name: string;
  /** The target system and import it is made for, in words. */
  target: string;
  fileName: string;
  format: ExportFormat;
  /** What the records are: charge lines, the run's wallet ledger entries, or its top-ups. */
  records: RecordKind;
  columns: ExportColumn[];
  /** Charge lines only: wallet entries and top-ups are all exported, so these must be `all` and false. */
  include: LineFilter;
  includeHeld: boolean;
  keyPrefix: string;
  /** Zone in which dates are written (IANA name); absent: the zone the caller gives (the ruleset's), else UTC. */
  timezone?: string;
  /** Needed when a column comes from enrichment. */
  enrichment?: EnrichmentJoin;
}

/** Problems of a profile as plain messages (empty when it is sound); the YAML reader locates its own. */
export function profileProblems(p: ExportProfile): string[] {
  const problems: string[] = [];
  const keys = p.columns.filter((c) => c.source.kind === 'key');
  if (keys.length !== 1) problems.push(`profile ${p.name} must have exactly one key column (it has ${keys.length})`);
  const headers = new Set<string>();
  for (const c of p.columns) {
    if (headers.has(c.header)) problems.push(`profile ${p.name}: two columns are named "${c.header}"`);
    headers.add(c.header);
    if (c.source.kind === 'field' && !isFieldOf(p.records, c.source.field)) {
      problems.push(`profile ${p.name}: column "${c.header}": ${c.source.field} is not a field of ${p.records} (fields: ${Object.keys(RECORD_FIELDS[p.records]).join(', ')})`);
    }
    if (c.source.kind === 'dimension' && p.records !== 'charge_lines') problems.push(`profile ${p.name}: column "${c.header}": only charge lines have dimensions`);
    if (c.date !== undefined) {
      if (c.source.kind !== 'field' || !INSTANT_FIELDS[p.records].has(c.source.field)) problems.push(`profile ${p.name}: column "${c.header}" has a date format but is not a date field`);
      const compiled = compileDateFormat(c.date);
      if ('bad' in compiled) problems.push(`profile ${p.name}: column "${c.header}": bad date format "${c.date}" (${DATE_FORMAT_HELP})`);
    }
  }
  if (p.columns.some((c) => c.source.kind === 'enrichment') && !p.enrichment) problems.push(`profile ${p.name} has enrichment columns but no enrichment join`);
  if (p.records !== 'charge_lines' && (p.include !== 'all' || p.includeHeld)) problems.push(`profile ${p.name}: include and include_held apply to charge lines; ${p.records} are all exported`);
  if (p.timezone !== undefined && !isTimeZone(p.timezone)) problems.push(`profile ${p.name}: unknown time zone "${p.timezone}"`);
  return problems;
}

/** The enrichment table columns a profile reads. */
export function enrichmentColumns(p: ExportProfile): string[] {
  return [...new Set(p.columns.flatMap((c) => (c.source.kind === 'enrichment' ? [c.source.column] : [])))];
}

/** The header of the key column. */
export function keyColumn(p: ExportProfile): string {
  return p.columns.find((c) => c.source.kind === 'key')!.header;
}

// Small constructors so built-in profiles read as tables.
export const field = (header: string, f: RecordField, date?: string): ExportColumn => ({ header, source: { kind: 'field', field: f }, ...(date ? { date } : {}) });
export const constant = (header: string, value: string): ExportColumn => ({ header, source: { kind: 'constant', value } });
export const enriched = (header: string, column: string, optional = false): ExportColumn => ({ header, source: { kind: 'enrichment', column, optional } });
export const key = (header: string): ExportColumn => ({ header, source: { kind: 'key' } });
