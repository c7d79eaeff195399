/**
 * Dedupe across runs (src/stages/dedupe.ts `across_runs`): before mediation, the keys earlier runs accepted go
 * from the state file into the run's database; after it, the keys this run accepted go to a file that the
 * run's transaction records (src/state/seen-events.ts). Without a state file nothing is remembered.
 */
import path from 'node:path';
import type { Database } from '../engine/duckdb/database.js';
import { quoteString } from '../engine/duckdb/sql-types.js';
import { ident } from '../plan/mediation-sql.js';
import { EVENTS_TABLE } from '../plan/metering-sql.js';
import type { RulesetIR } from '../ruleset/ir.js';
import type { DedupeBody } from '../stages/dedupe.js';
import { INTERNAL } from '../stages/stage.js';
import { exportSeenEvents } from '../state/seen-events.js';
import type { StateStore } from '../state/store.js';
import { RUN_KEYS, SEEN_EVENTS } from './mediate.js';

/** The ruleset's dedupe stage that looks across runs, if any (the ruleset compiler allows one). */
export function acrossRunsDedupe(ruleset: RulesetIR): DedupeBody | null {
  const stage = ruleset.stages.find((s) => s.kind === 'dedupe' && (s.body as DedupeBody).acrossRuns);
  return stage ? (stage.body as DedupeBody) : null;
}

/** Makes SEEN_EVENTS hold the keys earlier runs accepted (all but `runId`'s own: a repeated run is not its duplicate). */
export async function loadSeenEvents(state: StateStore, db: Database, ruleset: RulesetIR, runId: string, dir: string): Promise<void> {
  const file = path.join(dir, 'seen-events.parquet');
  await exportSeenEvents(state, ruleset.name, runId, file);
  await db.run(`CREATE OR REPLACE TEMP TABLE ${SEEN_EVENTS} AS SELECT * FROM read_parquet(${quoteString(file)})`);
}

/**
 * Writes the keys of the events this run accepted, with their time, for the state to record; returns the file.
 * Keys are taken before any split (dedupe must come first), one per input record: a record counts as accepted
 * when any of its parts is (a filter after the split may drop some parts and keep others).
 */
export async function writeRunKeys(db: Database, ruleset: RulesetIR, dir: string): Promise<string> {
  const file = path.join(dir, 'run-keys.parquet');
  const at = `CAST(${ident(ruleset.input.eventTime)} AS TIMESTAMP)`;
  await db.run(`COPY (SELECT k.event_key, k.payload_md5, e.event_at FROM ${RUN_KEYS} AS k
      JOIN (SELECT ${INTERNAL.file}, ${INTERNAL.line}, min(${at}) AS event_at FROM ${EVENTS_TABLE} WHERE ${INTERNAL.status} IS NULL GROUP BY ALL) AS e
        ON e.${INTERNAL.file} = k.${INTERNAL.file} AND e.${INTERNAL.line} = k.${INTERNAL.line}) TO ${quoteString(file)} (FORMAT parquet)`);
  return file;
}
