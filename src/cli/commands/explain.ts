/** `tally explain RULESET [--sql]`: the compiled plan as readable steps (and the SQL with --sql). */
import { explainPlan } from '../../plan/explain.js';
import { EngineCapabilityError } from '../../plan/sql-dialect.js';
import { EXIT, TallyError, UsageError } from '../errors.js';
import { loadRuleset } from './load-ruleset.js';

export async function explainCommand(file: string, opts: { sql?: boolean; engine?: string }): Promise<number> {
  const engine = opts.engine ?? 'duckdb';
  if (engine !== 'duckdb' && engine !== 'snowflake') throw new UsageError(`unknown engine "${engine}"`, 'use --engine duckdb (the default) or --engine snowflake');
  const ruleset = loadRuleset(file);
  let text: string;
  try {
    text = await explainPlan(ruleset, opts.sql === true, engine);
  } catch (e) {
    // What the ruleset uses that the engine cannot run is a problem of the ruleset on that engine.
    if (e instanceof EngineCapabilityError) throw new TallyError(e.message, e.hint, EXIT.ruleset);
    throw e;
  }
  process.stdout.write(`${text}\n`);
  return EXIT.ok;
}
