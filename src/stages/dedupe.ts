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
  /**
   * Runs in place on the materialized table: only rows whose key repeats are ranked, and only the later ones
   * are updated, so the cost stays close to one GROUP BY over the keys (see GUIDE.md §7). Rows are ranked in
   * file and line order (within a file, row ids follow lines).
   */
  toUpdateSql(b, table, ctx) {
    const keyList = b.key.map((k) => ctx.ident(k)).join(', ');
    const notNull = b.key.map((k) => `${ctx.ident(k)} IS NOT NULL`).join(' AND ');
    const payload = `hash(${ctx.fields.map((f) => ctx.ident(f)).join(', ')})`;
    const order = `${INTERNAL.file}, coalesce(${INTERNAL.line}, rowid), ${INTERNAL.split}`;
    return `UPDATE ${table} SET ${INTERNAL.outcome} = __d.__new FROM (
  SELECT __rid, CASE WHEN __payload = __first_payload THEN ${outcomeSql(STATUS.duplicate, ctx.label, 'duplicate', ctx)}
    ELSE ${outcomeSql(STATUS.rejected, ctx.label, b.reason, ctx)} END AS __new
  FROM (SELECT rowid AS __rid, row_number() OVER w AS __rank, ${payload} AS __payload, first_value(${payload}) OVER w AS __first_payload
    FROM ${table} SEMI JOIN (
      SELECT ${keyList} FROM ${table} WHERE ${LIVE} AND ${notNull} GROUP BY ALL HAVING count(*) > 1
    ) AS __dup_keys USING (${keyList})
    WHERE ${LIVE}
    WINDOW w AS (PARTITION BY ${keyList} ORDER BY ${order}))
  WHERE __rank > 1) AS __d
WHERE ${table}.rowid = __d.__rid`;
  },
  /**
   * The same decision as one SELECT, for engines that run the chain as a single query (Snowflake): live rows with
   * a key are ranked in file, line and part order within their key; every later one is a duplicate (same payload
   * as the first) or a conflict. Windows carry every row, so on DuckDB the in-place UPDATE above is preferred.
   */
  toSql(b, from, ctx) {
    const keyList = b.key.map((k) => ctx.ident(k)).join(', ');
    const notNull = b.key.map((k) => `${ctx.ident(k)} IS NOT NULL`).join(' AND ');
    const payload = `hash(${ctx.fields.map((f) => ctx.ident(f)).join(', ')})`;
    const window = `OVER (PARTITION BY ${keyList}, (${LIVE}) ORDER BY ${INTERNAL.file}, ${INTERNAL.line}, ${INTERNAL.split})`;
    return `SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN ${LIVE} AND ${notNull} AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN ${outcomeSql(STATUS.duplicate, ctx.label, 'duplicate', ctx)}
      ELSE ${outcomeSql(STATUS.rejected, ctx.label, b.reason, ctx)} END ELSE ${INTERNAL.outcome} END AS ${INTERNAL.outcome})
  FROM (SELECT *, row_number() ${window} AS __rank, ${payload} AS __payload, first_value(${payload}) ${window} AS __first_payload
    FROM ${from})`;
  },
  explain: (b) => `dedupe on ${b.key.join(', ')}: drop exact re-deliveries, reject others as ${b.reason}`,
};
