/** `tally validate RULESET...`: every problem of every ruleset, at once; exit 0 when all are clean. */
import fs from 'node:fs';
import path from 'node:path';
import { formatDiagnostic, hasErrors } from '../../diagnostics/diagnostic.js';
import { compileRulesetFile } from '../../ruleset/compile.js';
import { EXIT } from '../errors.js';

const isExpectations = (f: string) => f.endsWith('.tests.yaml');

/** A folder stands for the rulesets in it (expectation files are `tally test`'s). */
function expand(arg: string): string[] {
  if (!fs.existsSync(arg) || !fs.statSync(arg).isDirectory()) return [arg];
  return fs.readdirSync(arg).filter((f) => /\.ya?ml$/.test(f) && !isExpectations(f)).sort().map((f) => path.join(arg, f));
}

export function validateCommand(args: string[]): number {
  let failed = false;
  for (const file of args.flatMap(expand)) {
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
