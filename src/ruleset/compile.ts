/**
 * Ruleset compiler: YAML text → RulesetIR, collecting every diagnostic instead of stopping at the first.
 * Order: YAML syntax → spec (shapes, unknown keys) → input → mediation (scope flows stage to stage)
 * → meters → prices → outputs. Each part reports against the YAML node it read, so messages carry
 * file, line, column and path.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Document, isMap, isScalar, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import { hasErrors, type Diagnostic } from '../diagnostics/diagnostic.js';
import { getStage } from '../stages/registry.js';
import { FIELD_TYPE_HINT, parseFieldType } from '../stages/field-types.js';
import type { EnrichBody } from '../stages/enrich.js';
import type { DedupeBody } from '../stages/dedupe.js';
import type { StageCompileContext } from '../stages/stage.js';
import { resolveTimeZone } from '../expr/time-zones.js';
import { CompileContext } from './context.js';
import { compileMeters } from './compile-meters.js';
import { compileOutputs } from './compile-outputs.js';
import { compilePosition } from './compile-position.js';
import { compilePrices } from './compile-prices.js';
import { minorUnitsOf } from './currencies.js';
import type { CsvOptions, FieldType, InputField, InputFormat, InputSpec, RulesetIR, StageIR } from './ir.js';
import { NodeReader } from './node-reader.js';
import { rulesetSpec } from './schema.js';
import { readNode } from './spec.js';

export interface CompileResult {
  ruleset?: RulesetIR;
  diagnostics: Diagnostic[];
}

type Raw = Record<string, unknown>;

/**
 * Reads and compiles a ruleset: a YAML file, or a folder whose YAML files (expectation files aside) each hold
 * some of the top-level sections, e.g. input.yaml, mediation.yaml, prices.yaml. I/O is limited to those files
 * and hashing the reference tables the ruleset names.
 */
export interface CompileOptions {
  /**
   * Contract terms kept outside the ruleset (`tally contract set`), in the shape of its top-level `contracts`
   * entries; they join the ruleset's own and count in its hash.
   */
  extraContracts?: Record<string, unknown>[];
}

export function compileRulesetFile(file: string, opts: CompileOptions = {}): CompileResult {
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) return compileRulesetFolder(file, opts);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message;
    return { diagnostics: [{ code: 'ruleset_unreadable', severity: 'error', file, message: `cannot read the ruleset: ${reason}` }] };
  }
  return compileRulesetText(text, file, opts);
}

/**
 * The first line of a YAML parser error. A document nested thousands of levels deep exhausts the parser's stack,
 * which it reports as "Maximum call stack size exceeded": say what is wrong with the file instead.
 */
function yamlMessage(e: Error): string {
  const first = e.message.split('\n')[0]!;
  return /call stack/i.test(first) ? 'the document is nested too deeply to read; a ruleset needs only a few levels of nesting' : first;
}

export function compileRulesetText(text: string, file: string, opts: CompileOptions = {}): CompileResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const r = new NodeReader(file, text, lines);
  for (const e of [...doc.errors, ...doc.warnings]) {
    const pos = lines.linePos(e.pos[0]);
    r.diagnostics.push({ code: 'yaml_syntax', severity: 'error', file, line: pos.line, col: pos.col, message: yamlMessage(e) });
  }
  if (hasErrors(r.diagnostics)) return { diagnostics: r.diagnostics };
  const raw = readNode(rulesetSpec, doc.contents as Node | null, '', r) as Raw | undefined;
  if (!raw) {
    if (!doc.contents) r.report(null, '', 'empty', 'the ruleset is empty');
    return { diagnostics: r.diagnostics };
  }
  const ruleset = compileRaw(withExtra(raw, opts), r, file, textWithExtra(text, opts));
  return hasErrors(r.diagnostics) ? { diagnostics: r.diagnostics } : { ruleset, diagnostics: r.diagnostics };
}

/** A ruleset folder: the files' top-level sections are merged; a section defined twice is an error. */
function compileRulesetFolder(dir: string, opts: CompileOptions): CompileResult {
  const names = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && !f.endsWith('.tests.yaml')).sort();
  if (!names.length) return { diagnostics: [{ code: 'ruleset_unreadable', severity: 'error', file: dir, message: 'the folder holds no .yaml file' }] };
  const merged = new Document({});
  const root = merged.contents as YAMLMap;
  const first = path.join(dir, names[0]!);
  const texts: string[] = [];
  let r: NodeReader | undefined;
  const seen = new Map<string, string>();
  for (const name of names) {
    const file = path.join(dir, name);
    const text = fs.readFileSync(file, 'utf8');
    texts.push(text);
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    r ??= new NodeReader(first, text, lines);
    r.addDocument(doc, { file, text, lines });
    for (const e of [...doc.errors, ...doc.warnings]) {
      const pos = lines.linePos(e.pos[0]);
      r.diagnostics.push({ code: 'yaml_syntax', severity: 'error', file, line: pos.line, col: pos.col, message: yamlMessage(e) });
    }
    if (!isMap(doc.contents)) continue;
    for (const pair of doc.contents.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const other = seen.get(key);
      if (other) r.report(pair.key as Node, key, 'duplicate_section', `section "${key}" is also defined in ${other}`);
      else {
        seen.set(key, file);
        root.items.push(pair);
      }
    }
  }
  if (!r || hasErrors(r.diagnostics)) return { diagnostics: r?.diagnostics ?? [] };
  const raw = readNode(rulesetSpec, root as unknown as Node, '', r) as Raw | undefined;
  if (!raw) return { diagnostics: r.diagnostics };
  const ruleset = compileRaw(withExtra(raw, opts), r, dir, textWithExtra(texts.join('\n'), opts), path.resolve(dir));
  return hasErrors(r.diagnostics) ? { diagnostics: r.diagnostics } : { ruleset, diagnostics: r.diagnostics };
}

function withExtra(raw: Raw, opts: CompileOptions): Raw {
  if (!opts.extraContracts?.length) return raw;
  raw.contracts = [...((raw.contracts as Raw[] | undefined) ?? []), ...opts.extraContracts];
  return raw;
}

function textWithExtra(text: string, opts: CompileOptions): string {
  return opts.extraContracts?.length ? `${text}\n# contracts from the state\n${JSON.stringify(opts.extraContracts)}` : text;
}

function compileRaw(raw: Raw, r: NodeReader, file: string, text: string, baseDir = path.dirname(path.resolve(file))): RulesetIR | undefined {
  const billing = (raw.billing as Raw | undefined) ?? {};
  const timezone = (billing.timezone as string | undefined) ?? 'UTC';
  const cx = new CompileContext(r, timezone);
  if (resolveTimeZone(timezone) === undefined) cx.error(billing, 'timezone', 'billing', 'unknown_timezone', `"${timezone}" is not an IANA time zone such as UTC or Europe/Paris`);

  const input = raw.input ? compileInput(raw.input as Raw, cx) : undefined;
  if (!input) return undefined;

  const scope = new Map<string, FieldType>(input.fields.map((f) => [f.name, f.type]));
  const stages = compileStages((raw.mediation as unknown[] | undefined) ?? [], cx, scope, baseDir, input.eventId);

  const accountField = billing.account as string | undefined;
  if (accountField !== undefined && !scope.has(accountField)) {
    cx.error(billing, 'account', 'billing', 'unknown_field', `the account field "${accountField}" is not a field of the mediated events (${[...scope.keys()].join(', ')})`);
  }
  const timeType = scope.get(input.eventTime);
  if (timeType && timeType.kind !== 'timestamp') {
    cx.error(raw.input as Raw, 'event_time', 'input', 'event_time_type', `the event time "${input.eventTime}" must be a timestamp after mediation (it is ${timeType.kind}); declare it as a timestamp or add a cast stage`);
  }

  const currency = (billing.currency as string | undefined) ?? 'USD';
  const minorUnits = (billing.minor_units as number | undefined) ?? minorUnitsOf(currency);
  const rounding = (billing.rounding as 'half_even' | 'half_up' | undefined) ?? 'half_even';
  const defaultPeriod = (billing.period as RulesetIR['meters'][number]['period'] | undefined) ?? 'month';

  const meters = compileMeters((raw.meters as Raw | undefined) ?? {}, cx, scope, defaultPeriod);
  const charges = compilePrices((raw.prices as Raw[] | undefined) ?? [], cx, scope, meters, { currency, minorUnits, rounding, timezone }, (raw.contracts as Raw[] | undefined) ?? []);
  const outputs = compileOutputs((raw.outputs as Raw | undefined) ?? {}, cx);
  const position = compilePosition(raw, cx, baseDir, currency);

  const hash = rulesetHash(text, stages, position.accountsFile);
  return {
    file,
    name: raw.name as string,
    version: (raw.ruleset_version as string | undefined) ?? '1',
    description: (raw.description as string | undefined) ?? '',
    hash,
    timezone,
    accountField: accountField ?? '',
    currency,
    minorUnits,
    rounding,
    input,
    stages,
    eventFields: scope,
    meters,
    charges,
    outputs,
    position,
  };
}

function compileInput(raw: Raw, cx: CompileContext): InputSpec | undefined {
  const fieldsRaw = (raw.fields as Record<string, Raw | undefined>) ?? {};
  const fields: InputField[] = [];
  for (const [name, f] of Object.entries(fieldsRaw)) {
    if (!f) continue;
    if (name.startsWith('__')) {
      cx.error(fieldsRaw, name, 'input.fields', 'reserved_name', 'field names starting with "__" are reserved');
      continue;
    }
    const type = parseFieldType(f.type as string, (f.format as string | undefined) ?? null);
    if (!type) {
      cx.error(f, 'type', `input.fields.${name}`, 'field_type', `"${f.type as string}" ${FIELD_TYPE_HINT}`);
      continue;
    }
    if (f.format !== undefined && type.kind !== 'timestamp') cx.error(f, 'format', `input.fields.${name}`, 'format_not_timestamp', '`format` only applies to timestamps');
    fields.push({
      name,
      column: (f.column as string | undefined) ?? name,
      type,
      required: f.required === true,
      invalidReason: (f.invalid_reason as string | undefined) ?? `invalid_${name}`,
      missingReason: (f.missing_reason as string | undefined) ?? `missing_${name}`,
    });
  }
  const names = new Set(Object.keys(fieldsRaw));
  for (const key of ['event_id', 'event_time'] as const) {
    const v = raw[key] as string | undefined;
    if (v !== undefined && !names.has(v)) cx.error(raw, key, 'input', 'unknown_field', `"${v}" is not one of the input fields (${[...names].join(', ')})`);
  }
  const csvRaw = (raw.csv as Raw | undefined) ?? {};
  const quote = (csvRaw.quote as string | undefined) ?? '"';
  const csv: CsvOptions = {
    delimiter: (csvRaw.delimiter as string | undefined) ?? ',',
    quote,
    escape: (csvRaw.escape as string | undefined) ?? quote,
    header: (csvRaw.header as boolean | undefined) ?? true,
    nullText: (csvRaw.null as string | undefined) ?? null,
  };
  for (const k of ['delimiter', 'quote', 'escape'] as const) {
    const v = csvRaw[k] as string | undefined;
    if (v !== undefined && [...v].length !== 1) cx.error(csvRaw, k, 'input.csv', 'csv_option', `must be a single character (got ${JSON.stringify(v)})`);
  }
  if (raw.event_id === undefined || raw.event_time === undefined) return undefined;
  return { format: (raw.format as InputFormat | undefined) ?? 'auto', csv, fields, eventId: raw.event_id as string, eventTime: raw.event_time as string };
}

function compileStages(items: unknown[], cx: CompileContext, scope: Map<string, FieldType>, baseDir: string, eventId: string): StageIR[] {
  const stages: StageIR[] = [];
  const kinds: string[] = [];
  const labels = new Set<string>();
  items.forEach((item, i) => {
    if (!item) return;
    const { kind, body } = item as { kind: string; body: Raw | undefined };
    const def = getStage(kind);
    const path = `mediation[${i}].${kind}`;
    if (!def || !body) return;
    const label = (body.name as string | undefined) ?? `${kind}[${i}]`;
    if (labels.has(label)) cx.error(body, 'name', path, 'duplicate_stage_name', `another stage is already named "${label}"`);
    labels.add(label);
    if (kinds.includes('split') && def.barrier) {
      cx.error(body, '', path, 'after_split', `a ${kind} stage must come before the split (deduplicate transactions, not their parts)`);
    }
    const ctx: StageCompileContext = {
      scope,
      label,
      path,
      baseDir,
      eventId,
      before: kinds,
      expr: (obj, key, expected) => cx.expr(obj, key, path, scope, expected),
      error: (obj, key, code, message) => cx.error(obj, key, path, code, message),
      nodeOf: (obj, key) => cx.r.nodeOf(obj, key),
    };
    const compiled = def.compile(body, ctx);
    if (kind === 'dedupe' && (compiled as DedupeBody | undefined)?.acrossRuns && stages.some((s) => s.kind === 'dedupe' && (s.body as DedupeBody).acrossRuns)) {
      cx.error(body, 'across_runs', path, 'across_runs_twice', 'only one dedupe stage can look across runs (the state keeps one set of keys per ruleset)');
    }
    kinds.push(kind);
    if (compiled !== undefined) stages.push({ kind, label, body: compiled });
  });
  return stages;
}

/** The ruleset's identity: its text and the content of every reference table it joins (and its accounts file). */
function rulesetHash(text: string, stages: StageIR[], accountsFile: string | null): string {
  const h = createHash('sha256').update(text);
  const files = [...stages.filter((s) => s.kind === 'enrich').map((s) => (s.body as EnrichBody).file), ...(accountsFile ? [accountsFile] : [])];
  for (const file of files) {
    try {
      h.update(fs.readFileSync(file));
    } catch {
      h.update(`missing:${file}`); // reported when the run reads it
    }
  }
  return h.digest('hex');
}


