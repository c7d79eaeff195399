/**
 * vitest setupFiles: every fast-check property in this worker runs with the run's seed (fast-check-seed.ts),
 * and with TALLY_FC_LOG set each property appends what it ran (test name, seed, cases, outcome) to that file
 * as one JSON line: the soak's report lists the models, their cases and seeds from it.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import { expect, inject } from 'vitest';

const seed = inject('fcSeed');
const log = process.env.TALLY_FC_LOG;

const record = (details: fc.RunDetails<unknown>) => {
  if (log) {
    const entry = { test: expect.getState().currentTestName ?? expect.getState().testPath, seed: details.seed, cases: details.numRuns, skipped: details.numSkips, failed: details.failed };
    fs.appendFileSync(log, `${JSON.stringify(entry)}\n`);
  }
  // What fast-check's default reporter does: throw its report (seed, path, shrunk counterexample) on a failure.
  const message = fc.defaultReportMessage(details);
  if (message !== undefined) throw new Error(message);
};

fc.configureGlobal({
  seed,
  reporter: record, // used for async properties too (fast-check refuses both reporter and asyncReporter)
});
