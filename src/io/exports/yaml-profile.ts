/**
 * A user-defined export profile in YAML, no code:
 *
 *   name: acme-erp
 *   target: Acme ERP usage import
 *   records: charge_lines           # charge_lines | wallet_entries | top_ups (default charge_lines)
 *   format: csv                     # csv | jsonl
 *   file: acme-usage.csv            # the name of the file written
 *   timezone: Europe/Paris          # optional: zone of the dates (default: the ruleset's, else UTC)
 *   include: nonzero                # charge lines: all | nonzero | nonzero_quantity (default nonzero)
 *   include_held: false             # charge lines held by a wallet's credit limit (default false)
 *   key_prefix: tally-              # before the line, entry or top-up id in the key column (default none)
 *   enrichment:                     # when a column comes from an enrichment table
 *     account: account_id           #   the table's column holding the account
 *     charge: charge                #   optional: its column holding the charge
 *     file: contracts.csv           #   optional: the table, relative to this file
 *   columns:                        # in file order
 *     - { header: External Key, key: true }
 *     - { header: Customer, field: account }
 *     - { header: Region, dimension: region }   # charge lines only
 *     - { header: Usage Date, field: period_start, date: MM/DD/YYYY }
 *     - { header: Contract Line, enrichment: contract_line, optional: true }
 *     - { header: Type, constant: usage }
 *
 * The fields a column may take depend on `records` (LINE_FIELDS, ENTRY_FIELDS, TOPUP_FIELDS in profile.ts).
 * Read strictly: an unknown key, a field unknown or of another record kind, a bad date format or time zone is an
 * error naming the file, line and column, with what to write instead. All problems are reported at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import { UsageError } from '../../cli/errors.js';
import { suggest } from '../../expr/suggest.js';
import { compileDateFormat, DATE_FORMAT_HELP, isTimeZone } from './date-format.js';
import {
  FORMATS, INSTANT_FIELDS, isFieldOf, LINE_FILTERS, RECORD_FIELDS, RECORD_KINDS,
  type ColumnSource, type EnrichmentJoin, type ExportColumn, type ExportProfile, type RecordField, type RecordKind,
} from './profile.js';

const TOP_KEYS = ['name', 'target', 'records', 'format', 'file', 'timezone', 'include', 'include_held', 'key_prefix', 'enrichment', 'columns'];
const ENRICHMENT_KEYS = ['account', 'charge', 'file'];
const SOURCE_KEYS = ['field', 'dimension', 'constant', 'enrichment', 'key'];
const COLUMN_KEYS = ['header', ...SOURCE_KEYS, 'optional', 'date'];

/** Collects located problems while reading. */
class Problems {
  readonly list: string[] = [];
  constructor(private readonly file: string, private readonly lines: LineCounter) {}

  at(node: Node | null | undefined): string {
    if (!node?.range) return this.file;
    const p = this.lines.linePos(node.range[0]);
    return `${this.file}:${p.line}:${p.col}`;
  }

  add(node: Node | null | undefined, message: string): undefined {
    this.list.push(`${this.at(node)}: ${message}`);
    return undefined;
  }
}

const didYouMean = (word: string, candidates: readonly string[]) => {
  const s = suggest(word, candidates);
  return s ? ` (did you mean "${s}"?)` : '';
};

/** The map's entries by key, reporting keys that are not allowed. */
function entries(map: YAMLMap, allowed: readonly string[], what: string, p: Problems): Map<string, { key: Node; value: Node | null }> {
  const out = new Map<string, { key: Node; value: Node | null }>();
  for (const item of map.items) {
    const k = item.key as Node;
    const name = isScalar(k) ? String(k.value) : '';
    if (!allowed.includes(name)) {
      p.add(k, `unknown key "${name}" in ${what}${didYouMean(name, allowed)}; allowed: ${allowed.join(', ')}`);
      continue;
    }
    out.set(name, { key: k, value: (item.value as Node | null) ?? null });
  }
  return out;
}

/** A scalar as text: numbers and booleans as written (a constant `0.10` stays `0.10`). */
function text(entry: { key: Node; value: Node | null } | undefined, what: string, p: Problems, source: string): string | undefined {
  if (!entry) return undefined;
  const v = entry.value;
  if (!v || !isScalar(v) || v.value === null || typeof v.value === 'object') return p.add(v ?? entry.key, `${what} must be a text value`);
  if (typeof v.value === 'string') return v.value;
  const [start, end] = v.range!;
  return source.slice(start, end).trim();
}

function bool(entry: { key: Node; value: Node | null } | undefined, what: string, p: Problems): boolean | undefined {
  if (!entry) return undefined;
  const v = entry.value;
  if (!v || !isScalar(v) || typeof v.value !== 'boolean') return p.add(v ?? entry.key, `${what} must be true or false`);
  return v.value;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], node: Node | null | undefined, what: string, p: Problems): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  return p.add(node, `${what} "${value}" is not one of ${allowed.join(', ')}${didYouMean(value, allowed)}`);
}

/** Why `value` is not a field of `records`: of another record kind, or unknown; with the valid fields. */
function fieldProblem(value: string, records: RecordKind): string {
  const names = Object.keys(RECORD_FIELDS[records]);
  const other = RECORD_KINDS.find((k) => k !== records && isFieldOf(k, value));
  const why = other ? `field "${value}" is a field of ${other}, not of ${records}` : `unknown field "${value}"${didYouMean(value, names)}`;
  return `${why}; fields: ${names.join(', ')}`;
}

function readColumn(node: Node, records: RecordKind, p: Problems, source: string): ExportColumn | undefined {
  if (!isMap(node)) return p.add(node, 'a column is a mapping such as { header: Customer, field: account }');
  const e = entries(node, COLUMN_KEYS, 'a column', p);
  const header = text(e.get('header'), 'header', p, source);
  if (header === undefined && !e.has('header')) p.add(node, 'the column has no header; give it one: header: Customer');
  const given = SOURCE_KEYS.filter((k) => e.has(k));
  if (given.length !== 1) {
    return p.add(node, given.length
      ? `the column "${header ?? ''}" has ${given.join(' and ')}; give exactly one source`
      : `the column "${header ?? ''}" has no source; give one of field, dimension, constant, enrichment, key: true`);
  }
  const kind = given[0]!;
  const entry = e.get(kind)!;
  let src: ColumnSource | undefined;
  if (kind === 'key') {
    if (bool(entry, 'key', p) === false) p.add(entry.value, 'key: false is not a source; write key: true on the key column only');
    src = { kind: 'key' };
  } else {
    const value = text(entry, kind, p, source);
    if (value !== undefined) {
      if (kind === 'field') {
        if (isFieldOf(records, value)) src = { kind: 'field', field: value as RecordField };
        else p.add(entry.value, fieldProblem(value, records));
      } else if (kind === 'dimension') {
        if (records === 'charge_lines') src = { kind: 'dimension', name: value };
        else p.add(entry.key, `dimension applies to charge lines only; ${records} have no dimensions`);
      } else if (kind === 'constant') src = { kind: 'constant', value };
      else src = { kind: 'enrichment', column: value, optional: bool(e.get('optional'), 'optional', p) ?? false };
    }
  }
  if (e.has('optional') && kind !== 'enrichment') p.add(e.get('optional')!.key, 'optional applies to enrichment columns only');
  const date = text(e.get('date'), 'date', p, source);
  if (date !== undefined) {
    const dateNode = e.get('date')!.value;
    if (src?.kind !== 'field' || !INSTANT_FIELDS[records].has(src.field)) {
      p.add(dateNode, `date applies to the date fields only (${[...INSTANT_FIELDS[records]].join(', ')})`);
    } else {
      const compiled = compileDateFormat(date);
      if ('bad' in compiled) p.add(dateNode, `bad date format "${date}": "${compiled.bad}" is not a token; ${DATE_FORMAT_HELP}`);
    }
  }
  if (header === undefined || !src) return undefined;
  return { header, source: src, ...(date !== undefined ? { date } : {}) };
}

/** Reads a profile from YAML text; `file` names it in messages and anchors a relative enrichment file. */
export function parseYamlProfile(source: string, file: string): ExportProfile {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const p = new Problems(file, lines);
  for (const err of doc.errors) {
    const pos = lines.linePos(err.pos[0]);
    p.list.push(`${file}:${pos.line}:${pos.col}: not valid YAML: ${err.message.split('\n')[0]}`);
  }
  if (p.list.length) throw new UsageError(p.list.join('\n'), 'fix the YAML syntax of the export profile');
  const root = doc.contents as Node | null;
  if (!root || !isMap(root)) throw new UsageError(`${p.at(root)}: an export profile is a mapping with name, file, columns...`, 'see the example in the tally docs (src/io/exports/README.md)');

  const e = entries(root, TOP_KEYS, 'the profile', p);
  for (const required of ['name', 'file', 'columns']) if (!e.has(required)) p.add(root, `the profile has no ${required}`);
  const name = text(e.get('name'), 'name', p, source);
  const fileName = text(e.get('file'), 'file', p, source);
  if (fileName !== undefined && (fileName.includes('/') || fileName.includes('\\'))) p.add(e.get('file')!.value, `file "${fileName}" must be a file name, not a path: the export goes to the run's output folder`);
  // An unknown kind is reported, and the columns are then read as charge lines (the default) to report the rest.
  const records = oneOf(text(e.get('records'), 'records', p, source) ?? 'charge_lines', RECORD_KINDS, e.get('records')?.value, 'records', p) ?? 'charge_lines';
  const format = oneOf(text(e.get('format'), 'format', p, source) ?? 'csv', FORMATS, e.get('format')?.value, 'format', p);
  // Wallet entries and top-ups are all exported: a filter there would silently drop ledger movements.
  if (records !== 'charge_lines') for (const k of ['include', 'include_held']) if (e.has(k)) p.add(e.get(k)!.key, `${k} applies to charge lines only; ${records} are all exported`);
  const include = records !== 'charge_lines' ? 'all' : oneOf(text(e.get('include'), 'include', p, source) ?? 'nonzero', LINE_FILTERS, e.get('include')?.value, 'include', p);
  const timezone = text(e.get('timezone'), 'timezone', p, source);
  if (timezone !== undefined && !isTimeZone(timezone)) p.add(e.get('timezone')!.value, `unknown time zone "${timezone}"; write an IANA name such as Europe/Paris, or UTC`);

  let enrichment: EnrichmentJoin | undefined;
  const enrichmentEntry = e.get('enrichment');
  if (enrichmentEntry) {
    const node = enrichmentEntry.value;
    if (!node || !isMap(node)) p.add(node ?? enrichmentEntry.key, 'enrichment is a mapping: { account: account_id, charge: charge, file: contracts.csv }');
    else {
      const j = entries(node, ENRICHMENT_KEYS, 'enrichment', p);
      const account = text(j.get('account'), 'enrichment account', p, source);
      if (!j.has('account')) p.add(node, 'enrichment has no account: name the table column holding the account');
      const charge = text(j.get('charge'), 'enrichment charge', p, source);
      const table = text(j.get('file'), 'enrichment file', p, source);
      if (account !== undefined) {
        enrichment = { account, ...(charge !== undefined ? { charge } : {}), ...(table !== undefined ? { file: path.resolve(path.dirname(file), table) } : {}) };
      }
    }
  }

  const columns: ExportColumn[] = [];
  const columnsEntry = e.get('columns');
  if (columnsEntry) {
    const seq = columnsEntry.value;
    if (!seq || !isSeq(seq) || !seq.items.length) p.add(seq ?? columnsEntry.key, 'columns is a list of columns, such as - { header: Customer, field: account }');
    else {
      const seen = new Map<string, Node>();
      for (const item of seq.items as Node[]) {
        const c = readColumn(item, records, p, source);
        if (!c) continue;
        if (seen.has(c.header)) p.add(item, `a second column named "${c.header}" (the first is at ${p.at(seen.get(c.header))}); headers must differ`);
        seen.set(c.header, item);
        columns.push(c);
      }
      const keys = columns.filter((c) => c.source.kind === 'key').length;
      if (keys !== 1 && p.list.length === 0) {
        p.add(seq, keys ? `${keys} key columns; give exactly one` : 'no key column: add - { header: External ID, key: true } so that a repeated import never duplicates a record');
      }
      if (columns.some((c) => c.source.kind === 'enrichment') && !enrichmentEntry) {
        p.add(seq, 'columns take values from enrichment but the profile has no enrichment: add enrichment: { account: <the table column holding the account> }');
      }
    }
  }

  const target = text(e.get('target'), 'target', p, source) ?? `user profile ${file}`;
  const includeHeld = records === 'charge_lines' ? bool(e.get('include_held'), 'include_held', p) ?? false : false;
  const keyPrefix = text(e.get('key_prefix'), 'key_prefix', p, source) ?? '';
  if (p.list.length) throw new UsageError(p.list.join('\n'), 'fix the export profile at the places named');
  return {
    name: name!,
    target,
    fileName: fileName!,
    format: format!,
    records,
    columns,
    include: include!,
    includeHeld,
    keyPrefix,
    ...(timezone !== undefined ? { timezone } : {}),
    ...(enrichment ? { enrichment } : {}),
  };
}

/** Reads a profile from a YAML file. */
export function loadYamlProfile(file: string): ExportProfile {
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the export profile ${file}: ${(e as Error).message}`, 'give a built-in profile name or the path of a YAML profile');
  }
  return parseYamlProfile(source, file);
}
