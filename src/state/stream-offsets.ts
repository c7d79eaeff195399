/**
 * Stream positions in the state file: per ruleset, stream (`kafka://CONNECTION/topic`) and partition, the next
 * offset to read. A run reads them before fetching, and stores the new ones inside its transaction, after
 * checking that nothing moved them meanwhile: together that rates each event exactly once across runs.
 */
import { DataError } from '../cli/errors.js';
import type { StreamOffset } from '../io/sources/source.js';
import type { StateStore } from './store.js';

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

export async function committedOffsets(store: StateStore, ruleset: string, stream: string): Promise<Map<number, string>> {
  const rows = await store.rows(`SELECT partition, next_offset FROM stream_offsets WHERE ruleset = ${q(ruleset)} AND stream = ${q(stream)}`);
  return new Map(rows.map(([p, o]) => [Number(p), String(o)]));
}

/** Stores the offsets a run consumed; call inside the run's transaction. */
export async function storeOffsets(store: StateStore, ruleset: string, txnId: string, offsets: readonly StreamOffset[]): Promise<void> {
  for (const o of offsets) {
    const now = (await committedOffsets(store, ruleset, o.stream)).get(o.partition);
    if (now !== undefined && now !== o.from) {
      throw new DataError(`${o.stream} partition ${o.partition} is at offset ${now} in the state, but this run read from ${o.from}; nothing was written`, 'run again: the next run reads from the stored offset');
    }
    await store.exec(`INSERT OR REPLACE INTO stream_offsets VALUES (${q(ruleset)}, ${q(o.stream)}, ${o.partition}, ${q(o.to)}, ${q(txnId)})`);
  }
}
