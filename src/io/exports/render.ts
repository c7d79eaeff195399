/**
 * Renders a run's charge lines with an export profile: the text of one import file, CSV (RFC 4180, header row,
 * LF line ends) or JSONL (one object per line, every value a string so money and quantities stay exact).
 *
 * Money is formatted with `fixedText` at the line's minor units, quantities at their scale without rounding:
 * no value ever passes through a JavaScript number.
 */
import { DataError, UsageError } from '../../cli/errors.js';
import { fixedText, ZERO } from '../../pricing/decimal.js';
import type { ChargeLine } from '../../run/rate.js';
import { csvRecord } from '../sinks/csv-record.js';
import { compileDateFormat, formatInstant, secondBefore } from './date-format.js';
import { lookupEnrichment, type EnrichmentTable } from './enrichment.js';
import { enrichmentColumns, profileProblems, type ExportColumn, type ExportProfile, type LineField } from './profile.js';

export interface ExportInput {
  lines: readonly ChargeLine[];
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
  /** Lines the profile's filters left out. */
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
function fieldText(line: ChargeLine, f: LineField, input: ExportInput): string {
  const p = line.priced;
  const money = (x: typeof ZERO) => fixedText(x, line.minorUnits);
  switch (f) {
    case 'line_id': return line.lineId;
    case 'account': return line.account;
    case 'period': return line.period;
    case 'period_start': return line.periodStart;
    case 'period_end': return line.periodEnd;
    case 'period_end_inclusive': return secondBefore(line.periodEnd) ?? notAnInstant(line, 'period_end', line.periodEnd);
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

function notAnInstant(line: ChargeLine, what: string, text: string): never {
  throw new DataError(`line ${line.lineId}: ${what} "${text}" is not a UTC time of the form 2026-10-01 00:00:00`, 'export lines as the rating produced them');
}

/** A column, ready to fill: its date pattern compiled once. */
type CellWriter = (line: ChargeLine, row: Record<string, string> | undefined) => string;

function cellWriter(profile: ExportProfile, column: ExportColumn, input: ExportInput, timeZone: string): CellWriter {
  const s = column.source;
  switch (s.kind) {
    case 'constant': return () => s.value;
    case 'key': return (line) => exportKey(profile, line, input.runId);
    case 'dimension': return (line) => line.dims[s.name] ?? '';
    case 'enrichment': return (_line, row) => row?.[s.column] ?? '';
    case 'field': {
      const compiled = column.date === undefined ? undefined : compileDateFormat(column.date);
      if (!compiled) return (line) => fieldText(line, s.field, input);
      if ('bad' in compiled) throw new Error('unreachable: profiles are checked before rendering');
      return (line) => {
        const text = fieldText(line, s.field, input);
        if (text === '') return '';
        return formatInstant(text, compiled.tokens, timeZone) ?? notAnInstant(line, s.field, text);
      };
    }
  }
}

/** At most this many missing accounts are named in a message; the count says how many more. */
const NAMED = 10;

/** The enrichment row of each line; fails naming every account that lacks a required value. */
function enrichmentRows(profile: ExportProfile, lines: readonly ChargeLine[], table: EnrichmentTable | undefined): (Record<string, string> | undefined)[] {
  const needed = enrichmentColumns(profile);
  if (!needed.length) return lines.map(() => undefined);
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
  const rows = lines.map((l) => {
    const row = lookupEnrichment(table, l.account, l.charge);
    for (const c of required) {
      if (!row?.[c]) {
        const who = table.join.charge ? `${l.account} (charge ${l.charge})` : l.account;
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
  const lines = selectLines(profile, input.lines);
  const rows = enrichmentRows(profile, lines, input.enrichment);
  const timeZone = profile.timezone ?? input.timezone ?? 'UTC';
  const writers = profile.columns.map((c) => cellWriter(profile, c, input, timeZone));
  const headers = profile.columns.map((c) => c.header);
  let text = profile.format === 'csv' ? csvRecord(headers) : '';
  lines.forEach((line, i) => {
    const cells = writers.map((w) => w(line, rows[i]));
    text += profile.format === 'csv' ? csvRecord(cells) : `${JSON.stringify(Object.fromEntries(headers.map((h, j) => [h, cells[j]])))}\n`;
  });
  return { fileName: profile.fileName, text, records: lines.length, skipped: input.lines.length - lines.length };
}
