/**
 * An export profile: how a run's charge lines become the import file of a billing or ERP system. A profile is
 * data (built-in ones in builtin/, user ones read from YAML by yaml-profile.ts); render.ts is the one writer.
 *
 * Decisions the profile makes explicit:
 * - which lines: `include` (see LineFilter) and `includeHeld` (lines the waterfall held are not billable yet);
 * - the idempotency key: one column carries `keyPrefix + lineId` (see render.ts `exportKey`), stable across
 *   re-exports of the same run, so an upsert on it never duplicates a record in the target system;
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

/** Fields holding an instant: only these take a date format. */
export const INSTANT_FIELDS: ReadonlySet<LineField> = new Set(['period_start', 'period_end', 'period_end_inclusive', 'incurred_at', 'generated_at']);

export type ColumnSource =
  | { kind: 'field'; field: LineField }
  /** The value of one dimension of the line (empty when the line has none). */
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

/** How enrichment rows join the lines: the table's column holding the account, and optionally the charge. */
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
  /** What the records are. Only charge lines for now; wallet entries and top-ups may follow. */
  records: 'charge_lines';
  columns: ExportColumn[];
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
    if (c.date !== undefined) {
      if (c.source.kind !== 'field' || !INSTANT_FIELDS.has(c.source.field)) problems.push(`profile ${p.name}: column "${c.header}" has a date format but is not a date field`);
      const compiled = compileDateFormat(c.date);
      if ('bad' in compiled) problems.push(`profile ${p.name}: column "${c.header}": bad date format "${c.date}" (${DATE_FORMAT_HELP})`);
    }
  }
  if (p.columns.some((c) => c.source.kind === 'enrichment') && !p.enrichment) problems.push(`profile ${p.name} has enrichment columns but no enrichment join`);
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
export const field = (header: string, f: LineField, date?: string): ExportColumn => ({ header, source: { kind: 'field', field: f }, ...(date ? { date } : {}) });
export const constant = (header: string, value: string): ExportColumn => ({ header, source: { kind: 'constant', value } });
export const enriched = (header: string, column: string, optional = false): ExportColumn => ({ header, source: { kind: 'enrichment', column, optional } });
export const key = (header: string): ExportColumn => ({ header, source: { kind: 'key' } });
