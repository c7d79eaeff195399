/**
 * `cast`: converts a field to a type, strictly: text that is not exactly a value of the type (a non-number,
 * more decimals than the scale, an impossible date) rejects the row with `reason`. A NULL or empty value stays
 * NULL unless `required: true`, in which case it is rejected with the same reason.
 *
 *   - cast: { field: quantity, to: 'decimal(18,3)', reason: invalid_quantity, required: true }
 *   - cast: { field: ts, to: timestamp, format: '%Y-%m-%d %H:%M:%S', reason: invalid_timestamp }
 */
import { bool, obj, req, str } from '../ruleset/spec.js';
import type { FieldType } from '../ruleset/ir.js';
import { FIELD_TYPE_HINT, formatFieldType, parseFieldType } from './field-types.js';
import { REASON } from './reason.js';
import { detailOf, outcomeWhen, STATUS, type StageDefinition } from './stage.js';

interface CastBody {
  field: string;
  from: FieldType;
  to: FieldType;
  reason: string;
  required: boolean;
}

export const castStage: StageDefinition<CastBody> = {
  kind: 'cast',
  doc: 'Converts a field to another type, rejecting values that do not convert exactly.',
  spec: obj('Strict type conversion of one field.', {
    name: str('Label of this stage.'),
    field: req(str('Field to convert.')),
    to: req(str(`Target type: ${FIELD_TYPE_HINT}.`)),
    format: str('strptime format for timestamps, e.g. %Y-%m-%d %H:%M:%S (ISO 8601 when absent).'),
    reason: req(REASON),
    required: { spec: bool('Reject NULL and empty values too (default false).') },
  }),
  rejects: true,
  barrier: false,
  compile(raw, ctx) {
    const field = raw.field as string;
    const from = ctx.scope.get(field);
    if (!from) {
      ctx.error(raw, 'field', 'unknown_field', `unknown field "${field}"`);
      return undefined;
    }
    const to = parseFieldType(raw.to as string, (raw.format as string | undefined) ?? null);
    if (!to) {
      ctx.error(raw, 'to', 'field_type', `"${raw.to as string}" ${FIELD_TYPE_HINT}`);
      return undefined;
    }
    if (raw.format !== undefined && to.kind !== 'timestamp') ctx.error(raw, 'format', 'format_not_timestamp', '`format` only applies to timestamps');
    ctx.scope.set(field, to);
    return { field, from, to, reason: raw.reason as string, required: raw.required === true };
  },
  toSql(b, from, ctx) {
    const col = ctx.ident(b.field);
    const text = b.from.kind === 'string' ? col : `CAST(${col} AS VARCHAR)`;
    // Empty text converts to NULL too, so a required field fails on the conversion alone; otherwise the
    // emptiness check runs only on the rows whose conversion failed.
    const bad = b.required ? `__converted IS NULL` : `__converted IS NULL AND NOT (${col} IS NULL OR trim(${text}) = '')`;
    // The conversion is computed once, in the inner projection (inside a CASE, DuckDB would not share it
    // between the outcome and the value); a failed conversion leaves the value NULL.
    return `SELECT * EXCLUDE (__converted) REPLACE (
    ${outcomeWhen(bad, STATUS.rejected, b.reason, ctx, detailOf(b.field, text, ctx))},
    __converted AS ${col})
  FROM (SELECT *, ${ctx.castText(text, b.to)} AS __converted FROM ${from})`;
  },
  explain: (b) => `cast ${b.field} to ${formatFieldType(b.to)}${b.required ? ' (required)' : ''}, else reject as ${b.reason}`,
};
