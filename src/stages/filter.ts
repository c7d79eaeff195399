/**
 * `filter`: drops rows that are not billable. They are counted (per stage) but are not rejects.
 *
 *   - filter: { keep: 'metric != "health_check"' }     # or { drop: 'is_test' }
 */
import type { TypedExpr } from '../expr/index.js';
import { expr, obj, str } from '../ruleset/spec.js';
import { outcomeSelect, STATUS, type StageDefinition } from './stage.js';

interface FilterBody {
  keep: TypedExpr | null;
  drop: TypedExpr | null;
}

export const filterStage: StageDefinition<FilterBody> = {
  kind: 'filter',
  doc: 'Drops (and counts) rows that are not billable: those where `keep` is not true, or where `drop` is true.',
  spec: obj('Drop rows that are not billable.', {
    name: str('Label of this stage in counts.'),
    keep: expr('Keep only rows where this is true.'),
    drop: expr('Drop rows where this is true.'),
  }),
  rejects: false,
  barrier: false,
  compile(raw, ctx) {
    if ((raw.keep === undefined) === (raw.drop === undefined)) {
      ctx.error(raw, '', 'filter_shape', 'a filter needs exactly one of `keep` or `drop`');
      return undefined;
    }
    const keep = raw.keep !== undefined ? ctx.expr(raw, 'keep', 'boolean') : null;
    const drop = raw.drop !== undefined ? ctx.expr(raw, 'drop', 'boolean') : null;
    if (keep === undefined || drop === undefined) return undefined;
    return { keep, drop };
  },
  outcome: (body, ctx) => ({
    condition: body.keep ? `NOT coalesce(${ctx.emit(body.keep)}, false)` : `coalesce(${ctx.emit(body.drop!)}, false)`,
    status: STATUS.filtered,
    reason: 'filtered',
  }),
  toSql(body, from, ctx) {
    return outcomeSelect(filterStage.outcome!(body, ctx), from, ctx);
  },
  explain: (b) => (b.keep ? `keep rows where ${b.keep.source}` : `drop rows where ${b.drop!.source}`),
};
