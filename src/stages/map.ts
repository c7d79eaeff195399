/**
 * `map`: normalizes values through a table, e.g. provider region codes to billing regions. A value missing from
 * the table takes `default`, or rejects the row with `reject` (one of the two is required, so nothing passes
 * through unmapped by accident). The result goes to `into` (default: the field itself).
 *
 *   - map: { field: region, into: billing_region, table: { us-east-1: us-east, eu-west-1: eu-west }, reject: unknown_region }
 */
import { map as mapSpec, obj, req, str } from '../ruleset/spec.js';
import { REASON } from './reason.js';
import { detailOf, outcomeWhen, STATUS, type StageDefinition } from './stage.js';

interface MapBody {
  field: string;
  into: string;
  table: [string, string][];
  defaultValue: string | null;
  reject: string | null;
}

export const mapStage: StageDefinition<MapBody> = {
  kind: 'map',
  doc: 'Maps the values of a field through a table, with a default or a reject for values not in it.',
  spec: obj('Value normalization through a table.', {
    name: str('Label of this stage.'),
    field: req(str('Field whose value is looked up (compared as text).')),
    into: str('Field that receives the mapped value (default: `field`).'),
    table: req(mapSpec(str('Mapped value.'), 'Source value to mapped value.')),
    default: str('Value for anything not in the table.'),
    reject: REASON,
  }),
  rejects: true,
  barrier: false,
  compile(raw, ctx) {
    const field = raw.field as string;
    if (!ctx.scope.has(field)) {
      ctx.error(raw, 'field', 'unknown_field', `unknown field "${field}"`);
      return undefined;
    }
    if ((raw.default === undefined) === (raw.reject === undefined)) {
      ctx.error(raw, '', 'map_fallback', 'a map needs exactly one of `default` (a value) or `reject` (a reason) for values not in the table');
      return undefined;
    }
    const into = (raw.into as string | undefined) ?? field;
    ctx.scope.set(into, { kind: 'string' });
    const table = Object.entries(raw.table as Record<string, string>);
    return { field, into, table, defaultValue: (raw.default as string | undefined) ?? null, reject: (raw.reject as string | undefined) ?? null };
  },
  toSql(b, from, ctx) {
    const text = `CAST(${ctx.ident(b.field)} AS VARCHAR)`;
    const cases = b.table.map(([k, v]) => `WHEN ${ctx.literal(k)} THEN ${ctx.literal(v)}`).join(' ');
    const mapped = `CASE ${text} ${cases} ELSE ${b.defaultValue === null ? 'NULL' : ctx.literal(b.defaultValue)} END`;
    const target = ctx.fields.includes(b.into) ? `* REPLACE (${mapped} AS ${ctx.ident(b.into)})` : `*, ${mapped} AS ${ctx.ident(b.into)}`;
    if (b.reject === null) return `SELECT ${target}\n  FROM ${from}`;
    const keys = b.table.map(([k]) => ctx.literal(k)).join(', ');
    const unknown = keys ? `${text} IS NULL OR ${text} NOT IN (${keys})` : 'true';
    return `SELECT ${target}\n  FROM (SELECT * REPLACE (\n    ${outcomeWhen(unknown, STATUS.rejected, b.reject, ctx, detailOf(b.field, text, ctx))})\n  FROM ${from})`;
  },
  explain: (b) => `map ${b.field}${b.into !== b.field ? ` into ${b.into}` : ''} through ${b.table.length} values, ${b.reject ? `reject others as ${b.reject}` : `others become "${b.defaultValue}"`}`,
};
