/** The JSON Schema of rulesets, generated from the same spec the loader reads with (see spec.ts). */
import { rulesetSpec } from './schema.js';
import type { Spec } from './spec.js';

type JsonSchema = Record<string, unknown>;

function toJsonSchema(spec: Spec): JsonSchema {
  const doc = { description: spec.doc };
  switch (spec.kind) {
    case 'string':
      return { type: 'string', ...doc, ...(spec.enum ? { enum: [...spec.enum] } : {}), ...(spec.pattern ? { pattern: spec.pattern.source } : {}) };
    case 'decimal':
      return { type: ['string', 'number'], ...doc, pattern: '^[+-]?(\\d+(\\.\\d*)?|\\.\\d+)$' };
    case 'integer':
      return { type: 'integer', ...doc, ...(spec.min !== undefined ? { minimum: spec.min } : {}), ...(spec.max !== undefined ? { maximum: spec.max } : {}) };
    case 'boolean':
      return { type: 'boolean', ...doc };
    case 'expr':
      return { type: ['string', 'boolean', 'number'], ...doc };
    case 'strings':
      return { ...doc, oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
    case 'list':
      return { type: 'array', ...doc, items: toJsonSchema(spec.item), ...(spec.minItems ? { minItems: spec.minItems } : {}) };
    case 'map':
      return { type: 'object', ...doc, additionalProperties: toJsonSchema(spec.value) };
    case 'object':
      return {
        type: 'object',
        ...doc,
        properties: Object.fromEntries(Object.entries(spec.fields).map(([k, f]) => [k, toJsonSchema(f.spec)])),
        required: Object.entries(spec.fields).filter(([, f]) => f.required).map(([k]) => k),
        additionalProperties: false,
      };
    case 'tagged':
      return {
        ...doc,
        oneOf: Object.entries(spec.variants).map(([tag, v]) => ({ type: 'object', properties: { [tag]: toJsonSchema(v) }, required: [tag], additionalProperties: false })),
      };
    case 'any':
      return { ...doc };
  }
}

export function rulesetJsonSchema(): JsonSchema {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'https://tally.dev/ruleset.schema.json', title: 'tally ruleset', ...toJsonSchema(rulesetSpec) };
}
