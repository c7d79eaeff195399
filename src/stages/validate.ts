/**
 * `validate`: an expression that must hold; a row where it is false or NULL is rejected with `reason`.
 *
 *   - validate: { rule: 'quantity >= 0', reason: negative_quantity }
 */
import type { TypedExpr } from '../expr/index.js';
import { expr, obj, req, str } from '../ruleset/spec.js';
import { outcomeSelect, STATUS, type StageDefinition } from './stage.js';
import { REASON } from './reason.js';

interface ValidateBody {
  rule: TypedExpr;
  reason: string;
}

export const validateStage: StageDefinition<ValidateBody> = {
  kind: 'validate',
  doc: 'Rejects the rows where `rule` is false or null, with `reason`.',
  spec: obj('A rule every row must satisfy.', {
    name: str('Label of this stage in counts and rejects.'),
    rule: req(expr('Boolean expression that must hold.')),
    reason: req(REASON),
  }),
  rejects: true,
  barrier: false,
  compile(raw, ctx) {
    const rule = ctx.expr(raw, 'rule', 'boolean');
    return rule ? { rule, reason: raw.reason as string } : undefined;
  },
  outcome: (body, ctx) => ({ condition: `NOT coalesce(${ctx.emit(body.rule)}, false)`, status: STATUS.rejected, reason: body.reason }),
  toSql(body, from, ctx) {
    return outcomeSelect(validateStage.outcome!(body, ctx), from, ctx);
  },
  explain: (b) => `reject as ${b.reason} unless ${b.rule.source}`,
};
