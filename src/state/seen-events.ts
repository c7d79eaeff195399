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
 * transaction. With a lookback, keys of events older than the newest event the ruleset has seen minus the
 * lookback are dropped: the state stays bounded, and such an old event delivered again is rated again.
 */
export async function recordSeenEvents(store: StateStore, ruleset: string, txnId: string, file: string, lookbackDays: number | null): Promise<void> {
  const r = quoteString(ruleset);
  await store.exec(`INSERT INTO seen_events SELECT ${r}, event_key, payload_md5, event_at, ${quoteString(txnId)} FROM read_parquet(${quoteString(file)})`);
  if (lookbackDays !== null) {
    await store.exec(`DELETE FROM seen_events WHERE ruleset = ${r}
      AND event_at < (SELECT max(event_at) FROM seen_events WHERE ruleset = ${r}) - INTERVAL ${Math.trunc(lookbackDays)} DAY`);
  }
}
