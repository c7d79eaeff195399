/** `tally run RULESET INPUT... --out DIR` */
import { runRuleset } from '../../run/run.js';
import type { ChargesFormat } from '../../io/sinks/charges-file.js';
import { EXIT, UsageError } from '../errors.js';
import type { EventsStore } from '../../engine/duckdb/database.js';
import { loadRuleset } from './load-ruleset.js';
import { startProgress } from '../progress.js';
import { stateFile } from './state-file.js';
import { sourceOptions } from './source-options.js';

export async function runCommand(rulesetFile: string, inputs: string[], opts: Record<string, unknown>): Promise<number> {
  const maxRejectRate = opts.maxRejectRate === undefined ? undefined : Number(opts.maxRejectRate);
  if (maxRejectRate !== undefined && !(maxRejectRate >= 0 && maxRejectRate <= 100)) throw new UsageError(`--max-reject-rate must be a percentage between 0 and 100 (got ${String(opts.maxRejectRate)})`);
  const threads = opts.threads === undefined ? undefined : Number(opts.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) throw new UsageError(`--threads must be a positive whole number (got ${String(opts.threads)})`);
  const ruleset = loadRuleset(rulesetFile);
  const progress = startProgress(opts.quiet === true || opts.json === true);
  try {
    const { manifest } = await runRuleset(ruleset, inputs, {
      out: opts.out as string,
      format: opts.format as ChargesFormat,
      ...(maxRejectRate !== undefined ? { maxRejectRate: maxRejectRate / 100 } : {}),
      ratedEvents: opts.ratedEvents === true,
      ...(opts.state === false ? {} : { state: stateFile(opts.state) }),
      dryRun: opts.dryRun === true,
      withContracts: (contracts) => loadRuleset(rulesetFile, { extraContracts: contracts }),
      engine: {
        ...(opts.memoryLimit ? { memoryLimit: opts.memoryLimit as string } : {}),
        ...(opts.tempDir ? { tempDir: opts.tempDir as string } : {}),
        ...(threads ? { threads } : {}),
        ...(opts.eventsStore ? { eventsStore: opts.eventsStore as EventsStore } : {}),
      },
      sources: sourceOptions(opts),
      ...(opts.engine === 'snowflake' ? { sqlEngine: 'snowflake' as const } : {}),
      ...(opts.load ? { load: opts.load as string[] } : {}),
      ...(opts.export ? { exports: { profiles: opts.export as string[], ...(opts.exportEnrichment ? { enrichment: opts.exportEnrichment as string } : {}) } } : {}),
      progress: progress.update,
    });
    const c = manifest.counts;
    const totals = Object.entries(manifest.totals).map(([cur, t]) => `${t.amount} ${cur}`).join(', ') || 'nothing';
    const st = manifest.state;
    const wallet = !st ? '' : st.repeated
      ? ` (already recorded as ${st.run_id}: nothing new in the state; outputs rewritten)`
      : `; credits ${Object.entries(st.totals).map(([cur, t]) => `${t.covered_by_credits} ${cur}`).join(', ') || '0'}, overage ${Object.entries(st.totals).map(([cur, t]) => `${t.overage} ${cur}`).join(', ') || '0'}${st.dry_run ? ' (dry run: state unchanged)' : ''}`;
    progress.succeed(`${c.rows_read} rows: ${c.accepted} accepted, ${c.rejected} rejected, ${c.duplicates} duplicates, ${c.filtered} filtered → ${manifest.lines} lines, ${totals}${wallet} → ${opts.out as string}`);
    if (opts.json === true) process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
    return EXIT.ok;
  } catch (e) {
    progress.fail();
    throw e;
  }
}
