/**
 * `dedupe`: drops exact re-deliveries of an event and rejects conflicting ones. Rows sharing the key (the input's
 * event id by default) are ordered by file and line; the first is kept. A later row whose fields equal the first's
 * is a duplicate (dropped, counted); one whose fields differ is rejected as `conflicting_duplicate`.
 *
 * Only keys that occur more than once are ranked, so the cost stays close to one GROUP BY over the keys
 * instead of carrying every row through a window (see GUIDE.md §7).
 *
 *   - dedupe: {}                                  # on the input's event_id
 *   - dedupe: { key: [account_id, request_id] }
 */
import { obj, str, strings } from '../ruleset/spec.js';
import { REASON } from './reason.js';
import { INTERNAL, LIVE, outcomeSql, STATUS, type StageDefinition } from './stage.js';

interface DedupeBody {
  key: string[];
  reason: string;
}

export const dedupeStage: StageDefinition<DedupeBody> = {
  kind: 'dedupe',
  doc: 'Keeps the first row of each key; drops exact re-deliveries and rejects conflicting ones.',
  spec: obj('Deduplication on the event id or a declared key.', {
    name: str('Label of this stage.'),
    key: strings('Fields forming the key (default: the input event id).'),
    reason: REASON,
  }),
  rejects: true,
  barrier: true,
  compile(raw, ctx) {
    const key = (raw.key as string[] | undefined) ?? [ctx.eventId];
    for (const k of key) if (!ctx.scope.has(k)) ctx.error(raw, 'key', 'unknown_field', `unknown field "${k}" in the dedupe key`);
    if (key.some((k) => !ctx.scope.has(k))) return undefined;
    return { key, reason: (raw.reason as string | undefined) ?? 'conflicting_duplicate' };
  },
  toSql(b, from, ctx) {
    const key = b.key.map((k) => ctx.ident(k));
    const keyList = key.join(', ');
    const id = [INTERNAL.file, INTERNAL.line, INTERNAL.split];
    const payload = `hash(${ctx.fields.map((f) => ctx.ident(f)).join(', ')})`;
    const notNull = key.map((k) => `${k} IS NOT NULL`).join(' AND ');
    const ranked = `SELECT ${id.join(', ')},
      row_number() OVER w AS __rank, ${payload} AS __payload, first_value(${payload}) OVER w AS __first_payload
    FROM ${from} SEMI JOIN (
      SELECT ${keyList} FROM ${from} WHERE ${LIVE} AND ${notNull} GROUP BY ALL HAVING count(*) > 1
    ) AS __dup_keys USING (${keyList})
    WHERE ${LIVE}
    WINDOW w AS (PARTITION BY ${keyList} ORDER BY ${id.join(', ')})`;
    const outcome = `CASE WHEN __d.__rank > 1 AND __d.__payload = __d.__first_payload THEN ${outcomeSql(STATUS.duplicate, ctx.label, 'duplicate', ctx)}
      WHEN __d.__rank > 1 THEN ${outcomeSql(STATUS.rejected, ctx.label, b.reason, ctx)} ELSE __t.${INTERNAL.outcome} END`;
    return `SELECT __t.* REPLACE (${outcome} AS ${INTERNAL.outcome})
  FROM ${from} AS __t LEFT JOIN (${ranked}) AS __d USING (${id.join(', ')})`;
  },
  explain: (b) => `dedupe on ${b.key.join(', ')}: drop exact re-deliveries, reject others as ${b.reason}`,
};
