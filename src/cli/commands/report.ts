/** `tally report RUN_DIR --html FILE`: a one-page HTML summary of a run's output folder. */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { renderRunReport, type BalanceCsvRow } from '../../report/run-report.js';
import type { Manifest } from '../../run/run.js';
import { DataError, EXIT } from '../errors.js';

export function reportCommand(runDir: string, opts: { html: string }): number {
  const manifestFile = path.join(runDir, 'manifest.json');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (e as Error).message.split('\n')[0];
    throw new DataError(`cannot read ${manifestFile}: ${why}`, 'give the output folder of a `tally run`');
  }
  if (!manifest.counts || !manifest.by_charge) throw new DataError(`${manifestFile} is not the manifest of a run by this version of tally`, 'run it again with this tally');
  const balancesFile = path.join(runDir, 'balances.csv');
  const balances = fs.existsSync(balancesFile) ? (parse(fs.readFileSync(balancesFile, 'utf8'), { columns: true }) as BalanceCsvRow[]) : null;
  const tmp = `${opts.html}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, renderRunReport(manifest, balances));
  fs.renameSync(tmp, opts.html);
  process.stdout.write(`report of ${runDir} → ${opts.html}\n`);
  return EXIT.ok;
}
