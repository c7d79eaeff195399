/**
 * Ruleset mistakes: every problem at once, each pointing at its file, line and column with a plain sentence.
 * In each case the character after «» is where the diagnostic must point.
 */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/diagnostics/diagnostic.js';
import { compileRulesetText } from '../../src/ruleset/compile.js';

/** Strips the «» marker and returns the text with the marker's 1-based line and column. */
function markSource(marked: string): { text: string; line: number; col: number } {
  const at = marked.indexOf('«»');
  const before = marked.slice(0, at);
  const line = before.split('\n').length;
  const col = at - before.lastIndexOf('\n');
  return { text: marked.replace('«»', ''), line, col };
}

const base = (over: { mediation?: string; meters?: string; prices?: string; top?: string }) => `version: 1
name: t
${over.top ?? ''}input:
  fields:
    id: { type: string }
    account: { type: string }
    ts: { type: timestamp }
    qty: { type: "decimal(18,3)" }
    region: { type: string }
  event_id: id
  event_time: ts
billing:
  account: account
mediation:
${over.mediation ?? '  - validate: { rule: "qty >= 0", reason: negative }'}
meters:
${over.meters ?? '  usage: { aggregation: sum, value: qty, dimensions: region }'}
prices:
${over.prices ?? '  - { charge: usage, meter: usage, model: unit, unit_price: "0.5" }'}
`;

const invalidCases: [string, string, RegExp][] = [
  ['unknown key, with a suggestion', base({ prices: '  - { «»chrage: usage, meter: usage, model: unit, unit_price: "1" }' }), /prices\[0\]\.chrage: unknown key "chrage" \(did you mean "charge"\?\)/],
  ['tiers must increase', base({ prices: '  - charge: usage\n    meter: usage\n    model: graduated\n    tiers:\n      - { up_to: 5000, unit_price: "1" }\n      - { up_to: «»1000, unit_price: "1" }\n      - { unit_price: "1" }' }), /prices\[0\]\.tiers\[1\]\.up_to: tiers must increase \(1000 after 5000\)/],
  ['unknown field in an expression points at the character', base({ mediation: '  - validate: { rule: "qty >= 0 && «»regoin == \'x\'", reason: bad }' }), /unknown field "regoin" \(did you mean "region"\?\)/],
  ['unknown meter', base({ prices: '  - { charge: usage, meter: «»usag, model: unit, unit_price: "1" }' }), /unknown meter "usag"/],
  ['enum value with a suggestion', base({ meters: '  usage: { aggregation: «»summ, value: qty }' }), /"summ" is not one of .* \(did you mean "sum"\?\)/],
  ['a price that is not a decimal', base({ prices: '  - { charge: usage, meter: usage, model: unit, unit_price: «»"abc" }' }), /"abc" is not a decimal number/],
  ['a parameter the model does not take', base({ prices: '  - { charge: usage, meter: usage, model: unit, unit_price: "1", package_size: «»"10" }' }), /`package_size` does not apply to the unit model/],
  ['unknown stage kind', base({ mediation: '  - «»valdiate: { rule: "true", reason: x }' }), /unknown kind "valdiate" \(did you mean "validate"\?\)/],
  ['a filter that is not boolean', base({ meters: '  usage: { aggregation: sum, value: qty, filter: "«»qty + 1" }' }), /must give a boolean/],
  ['a reason that is not a code', base({ mediation: '  - validate: { rule: "true", reason: «»"Bad Thing" }' }), /must be a snake_case code/],
  ['a commitment term that is not a date', `${base({})}commitments:\n  - { id: c, account: a, kind: prepaid, amount: "10", start: «»2026-13-01, end: 2027-01-01 }\n`, /commitments\[0\]\.start: "2026-13-01" is not a date or time/],
  ['a top-up with neither amount nor target', `${base({})}wallets:\n  - { id: w, account: a, top_up: «»{ below: "5" } }\n`, /wallets\[0\]\.top_up: a top-up needs one of `amount`/],
  ['a commitment without an amount', `${base({})}commitments:\n  - «»{ id: c, account: a, kind: minimum, start: 2026-01-01, end: 2027-01-01 }\n`, /commitments\[0\]\.amount: .*required|missing/],
  ['an unknown draw-down order key', `${base({})}wallets:\n  - { id: w, account: a, order: [«»newest] }\n`, /"newest" is not one of priority, expiry, kind, age/],
];

describe('ruleset diagnostics', () => {
  for (const [name, marked, message] of invalidCases) {
    it(name, () => {
      const { text, line, col } = markSource(marked);
      const { ruleset, diagnostics } = compileRulesetText(text, 'rulesets/x.yaml');
      expect(ruleset).toBeUndefined();
      const hit = diagnostics.find((d) => message.test(formatDiagnostic(d)));
      expect(hit, diagnostics.map(formatDiagnostic).join('\n')).toBeDefined();
      expect(formatDiagnostic(hit!)).toMatch(new RegExp(`^rulesets/x\\.yaml:${line}:${col} `));
    });
  }

  it('reports every problem at once', () => {
    const text = base({
      mediation: '  - validate: { rule: "nope > 1", reason: bad }',
      meters: '  usage: { aggregation: summ, value: qty }',
      prices: '  - { charge: usage, meter: other, model: unit, unit_price: "x" }',
    });
    const { diagnostics } = compileRulesetText(text, 'x.yaml');
    expect(diagnostics.length).toBeGreaterThanOrEqual(4);
  });

  it('a YAML syntax error is located', () => {
    const { diagnostics } = compileRulesetText('version: 1\nname: [unclosed\n', 'x.yaml');
    expect(diagnostics[0]).toMatchObject({ code: 'yaml_syntax', file: 'x.yaml' });
    expect(diagnostics[0]!.line).toBeGreaterThan(0);
  });

  it('accepts a clean ruleset', () => {
    const { ruleset, diagnostics } = compileRulesetText(base({}), 'x.yaml');
    expect(diagnostics).toEqual([]);
    expect(ruleset?.charges[0]?.name).toBe('usage');
  });
});
