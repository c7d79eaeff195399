/**
 * `split`: one transaction becomes several consumption events, e.g. an API request that yields a call, its input
 * tokens and its output tokens. Each child sets fields by `values` (literal text) and `set` (expressions over the
 * parent row); fields a child does not set keep the parent's value (or NULL for a field only other children set).
 *
 * A transaction is accepted or rejected whole: when a stage after the split rejects one child, the run rejects
 * the transaction's other children too (see plan/settle). Dedupe must come before a split.
 *
 *   - split:
 *       into:
 *         - { values: { metric: request }, set: { quantity: '1' } }
 *         - { values: { metric: input_tokens }, set: { quantity: 'input_tokens' } }
 */
import type { TypedExpr } from '../expr/index.js';
import { expr, list, map, obj, req, str } from '../ruleset/spec.js';
import type { FieldType } from '../ruleset/ir.js';
import { fieldTypeOf, formatFieldType } from './field-types.js';
import { INTERNAL, LIVE, type StageDefinition } from './stage.js';

interface SplitChild {
  values: Record<string, string>;
  set: Map<string, TypedExpr>;
}

interface SplitBody {
  children: SplitChild[];
  fields: Map<string, FieldType>;
}

export const splitStage: StageDefinition<SplitBody> = {
  kind: 'split',
  doc: 'Turns each transaction into several consumption events.',
  spec: obj('One transaction into several consumption events.', {
    name: str('Label of this stage.'),
    into: req(list(obj('One consumption event.', {
      values: map(str('Literal value.'), 'Fields set to literal text.'),
      set: map(expr('Expression over the parent row.'), 'Fields set by expressions.'),
    }), 'The consumption events each transaction yields.', 1)),
  }),
  rejects: false,
  barrier: true,
  compile(raw, ctx) {
    if (ctx.before.includes('split')) ctx.error(raw, '', 'split_twice', 'a ruleset can split only once');
    const into = raw.into as Record<string, unknown>[];
    const children: SplitChild[] = [];
    const fields = new Map<string, FieldType>();
    let ok = true;
    const unify = (name: string, t: FieldType, at: object, key: string) => {
      const prev = fields.get(name) ?? ctx.scope.get(name);
      const merged = prev ? mergeTypes(prev, t) : t;
      if (!merged) {
        ctx.error(at, key, 'split_type', `children give "${name}" different types (${formatFieldType(prev!)} and ${formatFieldType(t)})`);
        ok = false;
      } else fields.set(name, merged);
    };
    for (const child of into) {
      const values = (child.values as Record<string, string> | undefined) ?? {};
      const setRaw = (child.set as Record<string, unknown> | undefined) ?? {};
      const set = new Map<string, TypedExpr>();
      for (const name of Object.keys(values)) unify(name, { kind: 'string' }, values, name);
      for (const name of Object.keys(setRaw)) {
        const e = ctx.expr(setRaw, name);
        const t = e && fieldTypeOf(e.type);
        if (!e || !t) {
          ok = false;
          continue;
        }
        set.set(name, e);
        unify(name, t, setRaw, name);
      }
      children.push({ values, set });
    }
    for (const [k, t] of fields) ctx.scope.set(k, t);
    return ok ? { children, fields } : undefined;
  },
  toSql(b, from, ctx) {
    const n = b.children.length;
    const valueFor = (child: SplitChild, name: string): string => {
      if (child.values[name] !== undefined) return ctx.literal(child.values[name]!);
      const e = child.set.get(name);
      if (e) return ctx.emit(e);
      return ctx.fields.includes(name) ? ctx.ident(name) : 'NULL';
    };
    const column = (name: string, type: FieldType) =>
      `CAST(CASE __s.__i ${b.children.map((c, i) => `WHEN ${i} THEN ${valueFor(c, name)}`).join(' ')} END AS ${ctx.sqlType(type)}) AS ${ctx.ident(name)}`;
    const replaced = [...b.fields].filter(([k]) => ctx.fields.includes(k)).map(([k, t]) => column(k, t));
    const added = [...b.fields].filter(([k]) => !ctx.fields.includes(k)).map(([k, t]) => column(k, t));
    return `SELECT * EXCLUDE (__i) REPLACE (${[...replaced, `CAST(__s.__i AS INTEGER) AS ${INTERNAL.split}`].join(', ')})${added.map((a) => `, ${a}`).join('')}
  FROM ${from} JOIN ${ctx.plan.series(n)} ON __s.__i = 0 OR ${LIVE}`;
  },
  explain: (b) => `split each transaction into ${b.children.length} events setting ${[...b.fields.keys()].join(', ')}`,
};

/** The common type of two field types, or undefined when they cannot share a column. */
export function mergeTypes(a: FieldType, b: FieldType): FieldType | undefined {
  if (a.kind === 'decimal' || b.kind === 'decimal') {
    const num = (t: FieldType) => t.kind === 'decimal' || t.kind === 'integer';
    if (!num(a) || !num(b)) return undefined;
    const scale = Math.max(a.kind === 'decimal' ? a.scale : 0, b.kind === 'decimal' ? b.scale : 0);
    return { kind: 'decimal', precision: 38, scale };
  }
  return a.kind === b.kind ? a : undefined;
}
