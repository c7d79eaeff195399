/** Compiles a ruleset for a command, printing its diagnostics; ruleset errors end the command with exit 3. */
import { formatDiagnostic, hasErrors } from '../../diagnostics/diagnostic.js';
import { execFileSync } from 'node:child_process';
import { compileRulesetFile, compileRulesetText, type CompileOptions } from '../../ruleset/compile.js';
import type { RulesetIR } from '../../ruleset/ir.js';
import { EXIT, TallyError, UsageError } from '../errors.js';

export function loadRuleset(file: string, opts: CompileOptions = {}): RulesetIR {
  const { ruleset, diagnostics } = compileRulesetFile(file, opts);
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!ruleset || hasErrors(diagnostics)) {
    const n = diagnostics.filter((d) => d.severity === 'error').length;
    throw new TallyError(`${file}: ${n} problem${n === 1 ? '' : 's'} in the ruleset`, 'fix them and run again (tally validate shows them all)', EXIT.ruleset);
  }
  return ruleset;
}

/**
 * A ruleset named on the command line: a file or folder, or `git:REV:PATH` for the ruleset as it was at a git
 * revision (`git:HEAD~1:rulesets/x.yaml`). A revision's reference tables are read from the working tree.
 */
export function loadRulesetSource(spec: string, opts: CompileOptions = {}): RulesetIR {
  const m = /^git:([^:]+):(.+)$/.exec(spec);
  if (!m) return loadRuleset(spec, opts);
  const [, rev, file] = m as unknown as [string, string, string];
  let text: string;
  try {
    text = execFileSync('git', ['show', `${rev}:./${file.replace(/^\.\//, '')}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const why = String((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n')[0];
    throw new UsageError(`cannot read ${spec}: ${why}`, 'name it as git:REVISION:PATH, e.g. git:HEAD~1:rulesets/x.yaml, from inside the repository');
  }
  const { ruleset, diagnostics } = compileRulesetText(text, file, opts);
  for (const d of diagnostics) process.stderr.write(`${spec}: ${formatDiagnostic(d)}\n`);
  if (!ruleset || hasErrors(diagnostics)) {
    throw new TallyError(`${spec}: the ruleset at that revision has problems`, 'tally validate shows them on the working tree', EXIT.ruleset);
  }
  return ruleset;
}
