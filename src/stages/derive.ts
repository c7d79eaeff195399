/**
 * `derive`: new (or replaced) fields computed from expressions. All expressions of one derive see the
 * fields as they were before the stage; chain two derives when one needs the other's result.
 *
 *   - derive: { fields: { gb: 'bytes / 1073741824', model_family: 'lower(model)' } }
 */
import type { TypedExpr } from '../expr/index.js';
import { expr, map, obj, req, str } from '../ruleset/spec.js';
import { fieldTypeOf } from './field-types.js';
import type { FieldType } from '../ruleset/ir.js';
import type { StageDefinition } from './stage.js';

interface DeriveBody {
  fields: { name: string; expr: TypedExpr; type: FieldType }[];
}

export const deriveStage: StageDefinition<DeriveBody> = {
  kind: 'derive',
  doc: 'Adds or replaces fields computed by expressions.',
  spec: obj('New fields from expressions.', {
    name: str('Label of this stage.'),
    fields: req(map(expr('Expression giving the field value.'), 'Field name to expression.')),
  }),
  rejects: false,
  barrier: false,
  compile(raw, ctx) {
    const fields: DeriveBody['fields'] = [];
    const exprs = raw.fields as Record<string, unknown>;
    const after = new Map(ctx.scope);
    let ok = true;
    for (const name of Object.keys(exprs)) {
      if (name.startsWith('__')) {
        ctx.error(exprs, name, 'reserved_name', `field names starting with "__" are reserved`);
        ok = false;
        continue;
      }
      const e = ctx.expr(exprs, name);
      const type = e && fieldTypeOf(e.type);
      if (e && !type) ctx.error(exprs, name, 'field_type', 'a field cannot hold a list');
      if (!e || !type) {
        ok = false;
        continue;
      }
      fields.push({ name, expr: e, type });
      after.set(name, type);
    }
    for (const [k, v] of after) ctx.scope.set(k, v);
    return ok ? { fields } : undefined;
  },
  toSql(body, from, ctx) {
    const replaced = body.fields.filter((f) => ctx.fields.includes(f.name));
    const added = body.fields.filter((f) => !ctx.fields.includes(f.name));
    const col = (f: DeriveBody['fields'][number]) => `CAST(${ctx.emit(f.expr)} AS ${ctx.sqlType(f.type)}) AS ${ctx.ident(f.name)}`;
    const replace = replaced.length ? ` REPLACE (${replaced.map(col).join(', ')})` : '';
    const extra = added.map((f) => `, ${col(f)}`).join('');
    return `SELECT *${replace}${extra}\n  FROM ${from}`;
  },
  explain: (b) => `derive ${b.fields.map((f) => `${f.name} = ${f.expr.source}`).join('; ')}`,
};
