/**
 * The second interpreter of a compiled ruleset: instead of running it, say what it will do, step by step,
 * and optionally the SQL of each step (mediation SQL is shown for a file named `input.csv`).
 */
import { Database } from '../engine/duckdb/database.js';
import type { InputFile } from '../io/sources/local-files.js';
import type { RulesetIR } from '../ruleset/ir.js';
import { getStage } from '../stages/registry.js';
import { formatFieldType } from '../stages/field-types.js';
import { buildEvents } from '../run/mediate.js';
import { chargeLinesSql } from './metering-sql.js';
import { compileSnowflakePlan, renderSnowflakeScript, snowflakeExplainOptions } from './snowflake-plan.js';

export type ExplainEngine = 'duckdb' | 'snowflake';

export async function explainPlan(ruleset: RulesetIR, withSql: boolean, engine: ExplainEngine = 'duckdb'): Promise<string> {
  const out: string[] = [];
  const step = (n: number, text: string) => out.push(`${String(n).padStart(2)}. ${text}`);
  let n = 1;
  out.push(`ruleset ${ruleset.name} version ${ruleset.version} (${ruleset.hash.slice(0, 12)}), time zone ${ruleset.timezone}, ${ruleset.currency} with ${ruleset.minorUnits} decimals, rounding ${ruleset.rounding}`);
  step(n++, `read ${ruleset.input.format === 'auto' ? 'CSV/TSV/JSONL/Parquet (by extension)' : ruleset.input.format} with fields ${ruleset.input.fields.map((f) => `${f.name}: ${formatFieldType(f.type)}${f.required ? ' (required)' : ''}`).join(', ')}`);
  step(n++, `type each field; reject what does not parse (${ruleset.input.fields.filter((f) => f.type.kind !== 'string').map((f) => f.invalidReason).join(', ') || 'nothing to type'})`);
  for (const s of ruleset.stages) step(n++, `${s.label}: ${getStage(s.kind)!.explain(s.body)}`);
  step(n++, `reject live events with no ${ruleset.input.eventTime} or no ${ruleset.accountField}${ruleset.charges.some((c) => c.matrixGuard) ? ', and events a price matrix cannot price' : ''}`);
  for (const m of ruleset.meters) {
    step(n++, `meter ${m.name}: ${m.aggregation}${m.value ? ` of ${m.value.source}` : ''}${m.filter ? ` where ${m.filter.source}` : ''} per ${ruleset.accountField}, ${m.period}${m.dimensions.length ? `, ${m.dimensions.join(', ')}` : ''}`);
  }
  for (const c of ruleset.charges) {
    const contractOf = new Map(c.accountVersions.map((a) => [a.version, a.account]));
    const versions = c.pricing.versions
      .map((v, i) => `${v.model.model}${contractOf.has(i) ? ` for ${contractOf.get(i)} (contract)` : ''}${v.effectiveFrom ? ` from ${v.effectiveFrom}` : ''}`)
      .join(', then ');
    const mods = c.pricing.modifiers.map((m) => m.label).join(', ');
    step(n++, `charge ${c.name} on ${c.meter}: ${versions}${c.pricing.included.gt(0) ? `, first ${c.pricing.included.toFixed()} included` : ''}${mods ? `, modifiers ${mods}` : ''}${c.pricing.minimum ? `, minimum ${c.pricing.minimum.toFixed()}` : ''}${c.pricing.maximum ? `, maximum ${c.pricing.maximum.toFixed()}` : ''}; round ${c.pricing.rounding} to ${c.pricing.minorUnits} decimals`);
  }
  step(n++, `write charges (${ruleset.outputs.charges.columns.map((c) => c.name).join(', ')}), rejects.csv, manifest.json${ruleset.outputs.ratedEvents ? ', rated-events.parquet' : ''}`);
  if (withSql && engine === 'snowflake') {
    const options = snowflakeExplainOptions(ruleset);
    const refs = Object.entries(options.referenceTables ?? {}).map(([stage, table]) => `, reference table of ${stage}: ${table}`).join('');
    out.push('', `-- snowflake script over the source table ${options.source}${refs} (placeholder names)`, '', renderSnowflakeScript(compileSnowflakePlan(ruleset, options)).trimEnd());
  } else if (withSql) {
    const db = await Database.open({ threads: 1 });
    try {
      const sample: InputFile = { name: 'input.csv', path: 'input.csv', format: 'csv', compression: 'none' };
      const { statements } = await buildEvents(db, ruleset, [sample], true);
      out.push('', '-- mediation', ...statements.map((s) => `${s};`));
      for (const c of ruleset.charges) {
        out.push('', `-- charge ${c.name}`, `${chargeLinesSql(ruleset, ruleset.meters.find((m) => m.name === c.meter)!, c)};`);
      }
    } finally {
      db.close();
    }
  }
  return out.join('\n');
}
