import path from 'node:path';
import { expect } from 'vitest';
import { compileRulesetFile, compileRulesetText } from '../../src/ruleset/compile.js';
import type { RulesetIR } from '../../src/ruleset/ir.js';
import { ROOT } from '../helpers/cli.js';

/** A ruleset file of the repository, compiled (its diagnostics must have no error). */
export function loadIr(file: string): RulesetIR {
  const { ruleset, diagnostics } = compileRulesetFile(path.join(ROOT, file));
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return ruleset!;
}

/** A ruleset given as YAML text, compiled. */
export function irOf(text: string): RulesetIR {
  const { ruleset, diagnostics } = compileRulesetText(text, path.join(ROOT, 'rulesets/examples/inline.yaml'));
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return ruleset!;
}
