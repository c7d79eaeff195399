/** `tally explain RULESET [--sql]`: the compiled plan as readable steps (and the SQL with --sql). */
import { explainPlan } from '../../plan/explain.js';
import { EXIT } from '../errors.js';
import { loadRuleset } from './load-ruleset.js';

export async function explainCommand(file: string, opts: { sql?: boolean }): Promise<number> {
  const ruleset = loadRuleset(file);
  process.stdout.write(`${await explainPlan(ruleset, opts.sql === true)}\n`);
  return EXIT.ok;
}
