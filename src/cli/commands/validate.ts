/**
 * `tally validate RULESET...`: every problem of every ruleset, at once; exit 0 when all are clean.
 * A folder is one ruleset split over several files.
 */
import { formatDiagnostic, hasErrors } from '../../diagnostics/diagnostic.js';
import { compileRulesetFile } from '../../ruleset/compile.js';
import { EXIT } from '../errors.js';

const isExpectations = (f: string) => f.endsWith('.tests.yaml');

export function validateCommand(args: string[]): number {
  let failed = false;
  for (const file of args) {
    if (isExpectations(file)) {
      process.stdout.write(`${file}: skipped (expectations are checked by tally test)\n`);
      continue;
    }
    const { diagnostics } = compileRulesetFile(file);
    for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (hasErrors(diagnostics)) failed = true;
    else process.stdout.write(`${file}: ok\n`);
  }
  return failed ? EXIT.ruleset : EXIT.ok;
}
