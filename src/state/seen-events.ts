/**
 * Keys of accepted events in the state file, for dedupe stages with `across_runs` (src/stages/dedupe.ts).
 * Both directions go through a Parquet file in the run's staging folder: the state and the run's work database
 * are separate DuckDB instances, and a file moves millions of keys between them without passing through
 * JavaScript. The new keys land inside the run's transaction, so a failed run remembers none of them.
 */
import { quoteString } from '../engine/duckdb/sql-types.js';
import type { StateStore } from './store.js';

/** Writes the keys earlier runs of `ruleset` recorded (not the run `exceptTxn`: a repeated run is not its own duplicate). */
export async function exportSeenEvents(store: StateStore, ruleset: string, exceptTxn: string, file: string): Promise<void> {
  await store.exec(`COPY (SELECT event_key, payload_md5, txn_id FROM seen_events WHERE ruleset = ${quoteString(ruleset)} AND txn_id <> ${quoteString(exceptTxn)})
    TO ${quoteString(file)} (FORMAT parquet)`);
}

/**
 * Records this run's keys (a Parquet file of event_key, payload_md5, event_at); call inside the run's
 * transaction. With a lookback, keys of events more than the lookback older than this run's newest event are
 * dropped: the state stays bounded, and such an old event delivered again is rated again. The anchor is this
 * run's newest event, never later than now: one event stamped in 2099 must not purge every key, and a backfill
 * of old usage keeps the keys of its own window. A run that accepted nothing prunes nothing.
 */
export async function recordSeenEvents(store: StateStore, ruleset: string, txnId: string, file: string, lookbackDays: number | null): Promise<void> {
  const r = quoteString(ruleset);
  const f = quoteString(file);
  await store.exec(`INSERT INTO seen_events SELECT ${r}, event_key, payload_md5, event_at, ${quoteString(txnId)} FROM read_parquet(${f})`);
  if (lookbackDays !== null) {
    await store.exec(`DELETE FROM seen_events WHERE ruleset = ${r}
      AND event_at < (SELECT CASE WHEN max(event_at) IS NOT NULL THEN least(max(event_at), CAST(now() AS TIMESTAMP)) END FROM read_parquet(${f})) - INTERVAL ${Math.trunc(lookbackDays)} DAY`);
  }
}
