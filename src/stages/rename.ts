/**
 * `rename`: gives fields new names (e.g. to the names meters and prices use).
 *
 *   - rename: { fields: { cust: account_id, qty: quantity } }
 */
import { map, obj, req, str } from '../ruleset/spec.js';
import type { StageDefinition } from './stage.js';

interface RenameBody {
  pairs: [string, string][];
}

export const renameStage: StageDefinition<RenameBody> = {
  kind: 'rename',
  doc: 'Renames fields.',
  spec: obj('Field renames.', {
    name: str('Label of this stage.'),
    fields: req(map(str('New name.'), 'Old name to new name.')),
  }),
  rejects: false,
  barrier: false,
  compile(raw, ctx) {
    const fields = raw.fields as Record<string, string>;
    const pairs: [string, string][] = [];
    let ok = true;
    for (const [from, to] of Object.entries(fields)) {
      const type = ctx.scope.get(from);
      if (!type) {
        ctx.error(fields, from, 'unknown_field', `unknown field "${from}"`);
        ok = false;
      } else if (ctx.scope.has(to) && !Object.prototype.hasOwnProperty.call(fields, to)) {
        ctx.error(fields, from, 'field_exists', `cannot rename to "${to}": a field with that name exists`);
        ok = false;
      } else {
        pairs.push([from, to]);
      }
    }
    const types = pairs.map(([from]) => ctx.scope.get(from)!);
    for (const [from] of pairs) ctx.scope.delete(from);
    pairs.forEach(([, to], i) => ctx.scope.set(to, types[i]!));
    return ok ? { pairs } : undefined;
  },
  toSql(b, from, ctx) {
    const olds = b.pairs.map(([f]) => ctx.ident(f)).join(', ');
    const news = b.pairs.map(([f, t]) => `${ctx.ident(f)} AS ${ctx.ident(t)}`).join(', ');
    return `SELECT * EXCLUDE (${olds}), ${news}\n  FROM ${from}`;
  },
  explain: (b) => `rename ${b.pairs.map(([f, t]) => `${f} → ${t}`).join(', ')}`,
};
