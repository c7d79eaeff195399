/**
 * SQL of the event path up to mediated events: read each file as text columns, type the input fields
 * (rejecting what does not parse), then run the mediation stages in order. Stages that need the whole input
 * (dedupe) are preceded by a materialization; everything else streams.
 */
import { emitSql, type TypedExpr } from '../expr/index.js';
import { quoteIdent, quoteString } from '../engine/duckdb/sql-types.js';
import type { InputFile } from '../io/sources/local-files.js';
import type { RulesetIR, StageIR } from '../ruleset/ir.js';
import { getStage } from '../stages/registry.js';
import { INTERNAL, OUTCOME_SEPARATOR, STATUS, type StageSqlContext } from '../stages/stage.js';
import { duckdbPlanDialect } from './duckdb-plan-dialect.js';
import type { PlanDialect } from './sql-dialect.js';

export const ident = quoteIdent;
export const INTERNAL_COLUMNS: readonly string[] = Object.values(INTERNAL);

/** The outcome text of the mediation chain as the columns of the events table. */
export function outcomeColumns(plan: PlanDialect = duckdbPlanDialect): string {
  const part = (i: number) => `nullif(${plan.splitPart(INTERNAL.outcome, OUTCOME_SEPARATOR, i)}, '')`;
  return `${part(1)} AS ${INTERNAL.status}, ${part(2)} AS ${INTERNAL.stage}, ${part(3)} AS ${INTERNAL.reason}, ${part(4)} AS ${INTERNAL.detail}`;
}

/** Name of the table DuckDB fills with a CSV file's malformed rows. */
export const malformedTable = (i: number) => `__malformed_${i}`;

/**
 * A file as text columns named by the ruleset's input fields, plus __file and __line.
 * `fileColumns` is the file's header (CSV) or schema (Parquet); JSONL lines are parsed in SQL so that a
 * malformed line becomes a reject, not an abort. A `sample` read (the first rows, to look at their values) skips
 * malformed CSV records instead of recording them: only the run's one full read may fill the rejects table, which
 * every read appends to.
 */
export function sourceSql(file: InputFile, index: number, ruleset: RulesetIR, fileColumns: string[], opts: { sample?: boolean } = {}): string {
  const { input } = ruleset;
  const internal = `${index} AS ${INTERNAL.file}`;
  if (file.format === 'parquet') {
    const cols = input.fields.map((f) => `CAST(${ident(f.column)} AS VARCHAR) AS ${ident(f.name)}`);
    return `SELECT ${internal}, CAST(file_row_number + 1 AS BIGINT) AS ${INTERNAL.line}, CAST(NULL AS VARCHAR) AS __malformed, ${cols.join(', ')}
  FROM read_parquet(${quoteString(file.path)}, file_row_number = true)`;
  }
  if (file.format === 'jsonl') {
    const cols = input.fields.map((f) => `CASE WHEN __ok THEN json_extract_string(__json, ${quoteString(`$.${JSON.stringify(f.column)}`)}) END AS ${ident(f.name)}`);
    return `SELECT ${internal}, ${INTERNAL.line}, CASE WHEN NOT __ok THEN 'malformed_json' END AS __malformed, ${cols.join(', ')}
  FROM (SELECT CAST(row_number() OVER () AS BIGINT) AS ${INTERNAL.line}, __json, coalesce(json_valid(__json) AND starts_with(ltrim(__json), '{'), false) AS __ok
    FROM read_csv(${quoteString(file.path)}, columns = {'__json': 'VARCHAR'}, delim = E'\\x01', quote = '', escape = '', header = false,
      auto_detect = false, new_line = '\\n', compression = ${quoteString(compressionOf(file))}))
  WHERE __json IS NULL OR trim(__json) <> ''`;
  }
  const csv = input.csv;
  const delim = file.format === 'tsv' ? '\t' : csv.delimiter;
  const columns = `{${fileColumns.map((c) => `${quoteString(c)}: 'VARCHAR'`).join(', ')}}`;
  const nulls = csv.nullText !== null ? `, nullstr = [${quoteString(csv.nullText)}, '']` : '';
  const cols = input.fields.map((f) => `${ident(f.column)} AS ${ident(f.name)}`);
  // No row_number() here: it would force the whole chain onto one thread. CSV lines come from the row ids of the
  // first materialized table (see run/mediate.ts).
  return `SELECT ${internal}, CAST(NULL AS BIGINT) AS ${INTERNAL.line}, CAST(NULL AS VARCHAR) AS __malformed, ${cols.join(', ')}
  FROM read_csv(${quoteString(file.path)}, columns = ${columns}, header = ${csv.header}, delim = ${quoteString(delim)},
    quote = ${quoteString(csv.quote)}, escape = ${quoteString(csv.escape)}, auto_detect = false, strict_mode = true,
    ${opts.sample ? 'ignore_errors = true' : `store_rejects = true, rejects_table = '${malformedTable(index)}', rejects_scan = '__malformed_scan_${index}'`},
    compression = ${quoteString(compressionOf(file))}${nulls})`;
}

function compressionOf(file: InputFile): string {
  return file.compression === 'none' ? 'none' : file.compression;
}

/**
 * Types the input fields, in declared order: the first field that is missing (when required) or does not parse
 * decides the row's reject reason. A JSONL line that is not a JSON object is rejected as malformed_json.
 */
export function typingSql(from: string, ruleset: RulesetIR, plan: PlanDialect = duckdbPlanDialect): string {
  const { ident, literal: quoteString } = plan;
  const fields = ruleset.input.fields;
  const typed = fields.map((f) => (f.type.kind === 'string' ? null : `${plan.castText(ident(f.name), f.type)} AS ${ident(`__typed_${f.name}`)}`)).filter(Boolean);
  const checks: [string, string, string | null][] = [['__malformed IS NOT NULL', '__malformed', null]];
  for (const f of fields) {
    const col = ident(f.name);
    if (f.required) checks.push([`${col} IS NULL OR trim(${col}) = ''`, quoteString(f.missingReason), f.name]);
    if (f.type.kind !== 'string') checks.push([`${col} IS NOT NULL AND trim(${col}) <> '' AND ${ident(`__typed_${f.name}`)} IS NULL`, quoteString(f.invalidReason), f.name]);
  }
  const reason = `CASE ${checks.map(([c, r]) => `WHEN ${c} THEN ${r}`).join(' ')} END`;
  const detail = `CASE ${checks.map(([c, , f]) => `WHEN ${c} THEN ${f ? `${quoteString(`${f}=`)} || coalesce('"' || replace(${ident(f)}, '"', '""') || '"', 'null')` : 'NULL'}`).join(' ')} END`;
  const values = fields.map((f) => (f.type.kind === 'string' ? ident(f.name) : `${ident(`__typed_${f.name}`)} AS ${ident(f.name)}`));
  const sep = quoteString(OUTCOME_SEPARATOR);
  return `SELECT ${INTERNAL.file}, ${INTERNAL.line}, CAST(0 AS INTEGER) AS ${INTERNAL.split},
    CASE WHEN __reason IS NOT NULL THEN '${STATUS.rejected}' || ${sep} || 'input' || ${sep} || __reason || ${sep} || coalesce(__detail, '') END AS ${INTERNAL.outcome},
    ${values.join(', ')}
  FROM (SELECT *, ${reason} AS __reason, ${detail} AS __detail
    FROM (SELECT *${typed.length ? `, ${typed.join(', ')}` : ''} FROM ${from}))`;
}

export function stageSqlContext(fields: readonly string[], label: string, plan: PlanDialect = duckdbPlanDialect): StageSqlContext {
  return {
    dialect: plan.expr,
    fields,
    ident: plan.ident,
    literal: plan.literal,
    emit: (e: TypedExpr) => emitSql(e, plan.expr, plan.ident),
    sqlType: plan.sqlType,
    castText: plan.castText,
    label,
    plan,
  };
}

export function stageSql(stage: StageIR, from: string, fields: readonly string[]): string {
  const def = getStage(stage.kind)!;
  if (!def.toSql) throw new Error(`stage ${stage.kind} runs only in place, on a materialized table`);
  return def.toSql(stage.body, from, stageSqlContext(fields, stage.label));
}

/** Without a database (explain, a plan for another engine), the fields after a stage, from the stage body. */
export function fieldsAfterStage(fields: string[], stage: { kind: string; body: unknown }): string[] {
  const b = stage.body as Record<string, unknown>;
  if (stage.kind === 'derive') return [...new Set([...fields, ...(b.fields as { name: string }[]).map((f) => f.name)])];
  if (stage.kind === 'map') return [...new Set([...fields, b.into as string])];
  if (stage.kind === 'enrich') return [...fields, ...(b.fields as { name: string }[]).map((f) => f.name)];
  if (stage.kind === 'rename') return fields.map((f) => (b.pairs as [string, string][]).find(([o]) => o === f)?.[1] ?? f);
  if (stage.kind === 'split') return [...new Set([...fields, ...(b.fields as Map<string, unknown>).keys()])];
  return fields;
}
