/** `tally validate RULESET...`: every problem of every ruleset, at once; exit 0 when all are clean. */
import { formatDiagnostic, hasErrors } from '../../diagnostics/diagnostic.js';
import { compileRulesetFile } from '../../ruleset/compile.js';
import { EXIT } from '../errors.js';

export function validateCommand(files: string[]): number {
  let failed = false;
  for (const file of files) {
    const { diagnostics } = compileRulesetFile(file);
    for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (hasErrors(diagnostics)) failed = true;
    else process.stdout.write(`${file}: ok\n`);
  }
  return failed ? EXIT.ruleset : EXIT.ok;
}
