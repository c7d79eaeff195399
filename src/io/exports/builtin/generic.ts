/**
 * Generic exports: every field of a record kind under its own name, as CSV (with header) or JSONL (one object
 * per line, every value a string so money and quantities stay exact). For loading into a warehouse or a system
 * with its own mapping step. Instants stay canonical UTC text (`2026-10-01 00:00:00`).
 *
 * - generic-csv / generic-jsonl: every charge line, held and zero lines included (`status` tells them apart).
 *   `key` is the line id (line id plus run id for a late-usage adjustment).
 * - generic-entries-csv / -jsonl: every ledger entry of the run, with the meanings and money text of
 *   wallet-entries.csv. `key` is the entry id (run id + ":" + n).
 * - generic-topups-csv / -jsonl: every top-up of the run, as top-ups.csv. `key` is the top-up's grant id.
 * A run with --no-state has no entries or top-ups: those files hold only their header (CSV) or nothing (JSONL).
 */
import {
  ENTRY_FIELDS, field, key, LINE_FIELDS, TOPUP_FIELDS,
  type ExportFormat, type ExportProfile, type RecordField, type RecordKind,
} from '../profile.js';

const every = (fields: object) => [key('key'), ...(Object.keys(fields) as RecordField[]).map((f) => field(f, f))];

const generic = (records: RecordKind, name: string, file: string, fields: object, what: string) => (format: ExportFormat): ExportProfile => ({
  name: `${name}-${format}`,
  target: `every ${what} field, as ${format.toUpperCase()}`,
  fileName: `${file}.${format}`,
  format,
  records,
  include: 'all',
  // Held lines are exported with status "held"; only charge lines are ever held.
  includeHeld: records === 'charge_lines',
  keyPrefix: '',
  columns: every(fields),
});

const lines = generic('charge_lines', 'generic', 'charges-export', LINE_FIELDS, 'line');
// Not wallet-entries.csv / top-ups.csv: the run writes those itself.
const entries = generic('wallet_entries', 'generic-entries', 'wallet-entries-export', ENTRY_FIELDS, 'wallet entry');
const topUps = generic('top_ups', 'generic-topups', 'top-ups-export', TOPUP_FIELDS, 'top-up');

export const genericCsv = lines('csv');
export const genericJsonl = lines('jsonl');
export const genericEntriesCsv = entries('csv');
export const genericEntriesJsonl = entries('jsonl');
export const genericTopUpsCsv = topUps('csv');
export const genericTopUpsJsonl = topUps('jsonl');
