/**
 * `enrich`: joins a reference table (CSV or Parquet, path relative to the ruleset) on a key, bringing typed
 * columns onto each event, e.g. account → plan, parent account, currency. An event with no match is rejected
 * with `reason` (default `unknown_<key>`), or takes `defaults` when `unmatched: default`.
 * The table's key must be unique: a run refuses a table with a repeated key (it would multiply events).
 *
 *   - enrich:
 *       file: ../reference/accounts.csv
 *       key: account_id
 *       fields: { plan: string, parent_account: string }
 *       unmatched: reject
 */
import path from 'node:path';
import { map, obj, req, str } from '../ruleset/spec.js';
import type { FieldType } from '../ruleset/ir.js';
import { FIELD_TYPE_HINT, parseFieldType } from './field-types.js';
import { REASON } from './reason.js';
import { detailOf, outcomeWhen, STATUS, type StageDefinition } from './stage.js';

export interface EnrichBody {
  file: string;
  key: string;
  on: string;
  fields: { name: string; type: FieldType }[];
  unmatched: 'reject' | 'default';
  reason: string;
  defaults: Record<string, string>;
}

export const enrichStage: StageDefinition<EnrichBody> = {
  kind: 'enrich',
  doc: 'Joins a reference table (CSV or Parquet) on a key and adds its columns to each event.',
  spec: obj('Join a reference table.', {
    name: str('Label of this stage.'),
    file: req(str('Reference table, CSV or Parquet; a relative path is relative to the ruleset file.')),
    key: req(str('Event field to look up.')),
    on: str('Column of the table to match (default: same name as `key`).'),
    fields: req(map(str(`Column type: ${FIELD_TYPE_HINT}.`), 'Table columns to add, with their types.')),
    unmatched: str('What happens to an event with no match: reject (default) or default.', { enum: ['reject', 'default'] }),
    reason: REASON,
    defaults: map(str('Default value (as text, converted to the field type).'), 'Values used when `unmatched: default`.'),
  }),
  rejects: true,
  barrier: false,
  reordersRows: true, // a hash join: rows leave in the order of the join, not of the file
  compile(raw, ctx) {
    const key = raw.key as string;
    let ok = true;
    if (!ctx.scope.has(key)) {
      ctx.error(raw, 'key', 'unknown_field', `unknown field "${key}"`);
      ok = false;
    }
    const declared = raw.fields as Record<string, string>;
    const fields: EnrichBody['fields'] = [];
    for (const [name, typeText] of Object.entries(declared)) {
      const type = parseFieldType(typeText);
      if (!type) {
        ctx.error(declared, name, 'field_type', `"${typeText}" ${FIELD_TYPE_HINT}`);
        ok = false;
      } else if (ctx.scope.has(name)) {
        ctx.error(declared, name, 'field_exists', `the event already has a field "${name}"; rename one of them`);
        ok = false;
      } else fields.push({ name, type });
    }
    const unmatched = (raw.unmatched as 'reject' | 'default' | undefined) ?? 'reject';
    const defaults = (raw.defaults as Record<string, string> | undefined) ?? {};
    for (const d of Object.keys(defaults)) {
      if (!(d in declared)) {
        ctx.error(defaults, d, 'unknown_field', `"${d}" is not one of the enriched fields`);
        ok = false;
      }
    }
    if (unmatched === 'reject' && raw.defaults !== undefined) ctx.error(raw, 'defaults', 'defaults_unused', '`defaults` only apply with `unmatched: default`');
    for (const f of fields) ctx.scope.set(f.name, f.type);
    const file = path.resolve(ctx.baseDir, raw.file as string);
    if (!isInside(file, ctx.baseDir) && !isInside(file, process.cwd())) {
      // A ruleset is reviewed as a rate card, not as code: it must not reach files outside the project it lives in.
      ctx.error(raw, 'file', 'file_outside', `the reference table ${String(raw.file)} is outside the ruleset's folder and the working directory: keep it beside the ruleset, or run tally from the folder that holds it`);
      ok = false;
    }
    if (!ok) return undefined;
    return {
      file,
      key,
      on: (raw.on as string | undefined) ?? key,
      fields,
      unmatched,
      reason: (raw.reason as string | undefined) ?? `unknown_${key}`,
      defaults,
    };
  },
  toSql(b, from, ctx) {
    const columns = b.fields.map((f) => ctx.ident(f.name)).join(', ');
    // DuckDB reads the file; an engine that reads tables names the staged copy (see plan/snowflake-plan.ts).
    const reader = ctx.referenceTable ? ctx.referenceTable(b) : referenceReader(b, ctx.literal);
    const table = `(SELECT CAST(${ctx.ident(b.on)} AS VARCHAR) AS __ref_key, ${columns} FROM ${reader})`;
    const value = (f: EnrichBody['fields'][number]) => {
      const typed = ctx.castText(`CAST(__ref.${ctx.ident(f.name)} AS VARCHAR)`, f.type);
      const fallback = b.unmatched === 'default' && b.defaults[f.name] !== undefined ? ctx.castText(ctx.literal(b.defaults[f.name]!), f.type) : 'NULL';
      return `CASE WHEN __ref.__ref_key IS NOT NULL THEN ${typed} ELSE ${fallback} END AS ${ctx.ident(f.name)}`;
    };
    const joined = `SELECT __t.*, __ref.__ref_key IS NOT NULL AS __matched, ${b.fields.map(value).join(', ')}
  FROM ${from} AS __t LEFT JOIN ${table} AS __ref ON CAST(__t.${ctx.ident(b.key)} AS VARCHAR) = __ref.__ref_key`;
    if (b.unmatched === 'default') return `SELECT * EXCLUDE (__matched) FROM (${joined})`;
    const detail = detailOf(b.key, `CAST(${ctx.ident(b.key)} AS VARCHAR)`, ctx);
    return `SELECT * EXCLUDE (__matched)
  FROM (SELECT * REPLACE (
    ${outcomeWhen('NOT __matched', STATUS.rejected, b.reason, ctx, detail)})
  FROM (${joined}))`;
  },
  explain: (b) => `enrich from ${path.basename(b.file)} on ${b.key} = ${b.on}: add ${b.fields.map((f) => f.name).join(', ')}; unmatched ${b.unmatched === 'reject' ? `rejected as ${b.reason}` : 'take defaults'}`,
};

function referenceReader(b: EnrichBody, literal: (s: string) => string): string {
  return /\.parquet$/i.test(b.file) ? `read_parquet(${literal(b.file)})` : `read_csv(${literal(b.file)}, header = true, all_varchar = true)`;
}

/** SQL listing keys that occur more than once in the table (a run refuses such a table). */
export function enrichDuplicateKeysSql(b: EnrichBody, literal: (s: string) => string, ident: (s: string) => string): string {
  return `SELECT CAST(${ident(b.on)} AS VARCHAR) AS k, count(*) AS n FROM ${referenceReader(b, literal)} GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 5`;
}

/** Whether `file` is `dir` or below it, after resolving `..` (symbolic links are not followed). */
function isInside(file: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
