/** Compiles a ruleset for a command, printing its diagnostics; ruleset errors end the command with exit 3. */
import { formatDiagnostic, hasErrors } from '../../diagnostics/diagnostic.js';
import { compileRulesetFile } from '../../ruleset/compile.js';
import type { RulesetIR } from '../../ruleset/ir.js';
import { EXIT, TallyError } from '../errors.js';

export function loadRuleset(file: string): RulesetIR {
  const { ruleset, diagnostics } = compileRulesetFile(file);
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!ruleset || hasErrors(diagnostics)) {
    const n = diagnostics.filter((d) => d.severity === 'error').length;
    throw new TallyError(`${file}: ${n} problem${n === 1 ? '' : 's'} in the ruleset`, 'fix them and run again (tally validate shows them all)', EXIT.ruleset);
  }
  return ruleset;
}
