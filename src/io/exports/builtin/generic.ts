/**
 * Generic exports: every line field under its own name, as CSV (with header) or JSONL (one object per line,
 * every value a string so money and quantities stay exact). For loading into a warehouse or a system with its
 * own mapping step. Every line is written, held and zero lines included (`status` tells them apart); instants
 * stay canonical UTC text (`2026-10-01 00:00:00`). `key` is the idempotency key (the line id; line id plus run
 * id for a late-usage adjustment).
 */
import { field, key, LINE_FIELDS, type ExportColumn, type ExportFormat, type ExportProfile, type LineField } from '../profile.js';

const columns: ExportColumn[] = [key('key'), ...(Object.keys(LINE_FIELDS) as LineField[]).map((f) => field(f, f))];

const generic = (format: ExportFormat): ExportProfile => ({
  name: `generic-${format}`,
  target: `every line field, as ${format.toUpperCase()}`,
  fileName: `charges-export.${format}`,
  format,
  records: 'charge_lines',
  include: 'all',
  includeHeld: true,
  keyPrefix: '',
  columns,
});

export const genericCsv = generic('csv');
export const genericJsonl = generic('jsonl');
