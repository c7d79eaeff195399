/**
 * Schema as data. One spec value drives three things: reading a YAML node (with every problem located),
 * the JSON Schema for editors (`json-schema.ts`), and the docs. Stage kinds and price models each declare
 * their own spec, so adding one never means editing a parser by hand.
 *
 * Decimals are read from the YAML *source text* (`0.0100` stays `0.0100`): a YAML float never touches money.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { suggest } from '../expr/suggest.js';
import type { NodeReader } from './node-reader.js';

export type Spec =
  | { kind: 'string'; doc: string; enum?: readonly string[]; pattern?: RegExp; patternHint?: string }
  | { kind: 'decimal'; doc: string; min?: 'positive' | 'non_negative' }
  | { kind: 'integer'; doc: string; min?: number; max?: number }
  | { kind: 'boolean'; doc: string }
  | { kind: 'expr'; doc: string }
  | { kind: 'object'; doc: string; fields: Readonly<Record<string, Field>> }
  | { kind: 'list'; doc: string; item: Spec; minItems?: number }
  | { kind: 'map'; doc: string; value: Spec; keyPattern?: RegExp; keyHint?: string }
  /** A string or a list of strings: `dimensions: region` and `dimensions: [region]` both read as a list. */
  | { kind: 'strings'; doc: string }
  /** Exactly one key naming a variant: `- validate: {...}`. */
  | { kind: 'tagged'; doc: string; variants: Readonly<Record<string, Spec>> }
  /** A value that passes through untouched (a reference table row, an expectation row). */
  | { kind: 'any'; doc: string };

export interface Field {
  spec: Spec;
  required?: boolean;
}

/** A read value keeps the node it came from, so later semantic checks can point at it. */
export type Located<T> = { value: T; node: Node | null };

export const str = (doc: string, extra: Partial<Extract<Spec, { kind: 'string' }>> = {}): Spec => ({ kind: 'string', doc, ...extra });
export const dec = (doc: string, min?: 'positive' | 'non_negative'): Spec => ({ kind: 'decimal', doc, ...(min ? { min } : {}) });
export const int = (doc: string, min?: number, max?: number): Spec => ({ kind: 'integer', doc, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
export const bool = (doc: string): Spec => ({ kind: 'boolean', doc });
export const expr = (doc: string): Spec => ({ kind: 'expr', doc });
export const strings = (doc: string): Spec => ({ kind: 'strings', doc });
export const any = (doc: string): Spec => ({ kind: 'any', doc });
export const list = (item: Spec, doc: string, minItems?: number): Spec => ({ kind: 'list', doc, item, ...(minItems ? { minItems } : {}) });
export const map = (value: Spec, doc: string): Spec => ({ kind: 'map', doc, value });
export const obj = (doc: string, fields: Record<string, Field | Spec>): Spec => ({
  kind: 'object',
  doc,
  fields: Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, 'spec' in f ? f : { spec: f }])),
});
export const req = (spec: Spec): Field => ({ spec, required: true });
export const tagged = (doc: string, variants: Record<string, Spec>): Spec => ({ kind: 'tagged', doc, variants });

/**
 * Reads `node` against `spec`, reporting problems through `r` and returning plain data:
 * decimals as their source text, objects as records, anything invalid as `undefined`.
 * Unknown keys are errors with a "did you mean".
 */
export function readNode(spec: Spec, node: Node | null | undefined, path: string, r: NodeReader): unknown {
  if (node === null || node === undefined || (isScalar(node) && node.value === null && spec.kind !== 'any')) {
    return undefined;
  }
  switch (spec.kind) {
    case 'any':
      return node.toJSON();
    case 'string': {
      if (!isScalar(node) || typeof node.value === 'object') return r.fail(node, path, 'type', 'must be a string');
      const v = isScalar(node) && typeof node.value === 'number' ? r.sourceText(node) : String(node.value);
      if (spec.enum && !spec.enum.includes(v)) {
        const hint = suggest(v, spec.enum);
        return r.fail(node, path, 'enum', `"${v}" is not one of ${spec.enum.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`);
      }
      if (spec.pattern && !spec.pattern.test(v)) return r.fail(node, path, 'pattern', `"${v}" ${spec.patternHint ?? `must match ${spec.pattern}`}`);
      return v;
    }
    case 'expr':
      if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'boolean' && typeof node.value !== 'number'))
        return r.fail(node, path, 'type', 'must be an expression written as a string');
      return r.sourceValue(node);
    case 'decimal': {
      if (!isScalar(node)) return r.fail(node, path, 'type', 'must be a decimal number');
      const text = (typeof node.value === 'number' ? r.sourceText(node) : String(node.value)).trim();
      if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) return r.fail(node, path, 'type', `"${text}" is not a decimal number (write digits with an optional point, e.g. 0.0100)`);
      if (spec.min === 'positive' && (/^-/.test(text) || /^[+]?[0.]*$/.test(text))) return r.fail(node, path, 'range', `must be greater than 0 (got ${text})`);
      if (spec.min === 'non_negative' && /^-/.test(text) && !/^-[0.]*$/.test(text)) return r.fail(node, path, 'range', `must not be negative (got ${text})`);
      return text;
    }
    case 'integer': {
      if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value)) return r.fail(node, path, 'type', 'must be a whole number');
      if (spec.min !== undefined && node.value < spec.min) return r.fail(node, path, 'range', `must be at least ${spec.min} (got ${node.value})`);
      if (spec.max !== undefined && node.value > spec.max) return r.fail(node, path, 'range', `must be at most ${spec.max} (got ${node.value})`);
      return node.value;
    }
    case 'boolean':
      if (!isScalar(node) || typeof node.value !== 'boolean') return r.fail(node, path, 'type', 'must be true or false');
      return node.value;
    case 'strings': {
      if (isScalar(node) && typeof node.value === 'string') return [node.value];
      if (!isSeq(node)) return r.fail(node, path, 'type', 'must be a name or a list of names');
      return node.items.map((item, i) => readNode({ kind: 'string', doc: spec.doc }, item as Node, `${path}[${i}]`, r));
    }
    case 'list': {
      if (!isSeq(node)) return r.fail(node, path, 'type', 'must be a list');
      if (spec.minItems && node.items.length < spec.minItems) r.fail(node, path, 'size', `needs at least ${spec.minItems} item${spec.minItems > 1 ? 's' : ''}`);
      return node.items.map((item, i) => readNode(spec.item, item as Node, `${path}[${i}]`, r));
    }
    case 'map': {
      if (!isMap(node)) return r.fail(node, path, 'type', 'must be a mapping of names to values');
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const sub = joinPath(path, key);
        if (key in out) r.fail(pair.key as Node, sub, 'duplicate_key', `"${key}" appears twice`);
        out[key] = readNode(spec.value, pair.value as Node, sub, r);
      }
      return out;
    }
    case 'object': {
      if (!isMap(node)) return r.fail(node, path, 'type', 'must be a mapping');
      const out: Record<string, unknown> = {};
      const known = Object.keys(spec.fields);
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const sub = joinPath(path, key);
        const field = spec.fields[key];
        if (!field) {
          const hint = suggest(key, known);
          r.fail(pair.key as Node, sub, 'unknown_key', `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : `; expected one of ${known.join(', ')}`}`);
          continue;
        }
        out[key] = readNode(field.spec, pair.value as Node, sub, r);
        r.remember(out, key, pair.value as Node);
      }
      for (const [key, field] of Object.entries(spec.fields)) {
        if (field.required && out[key] === undefined && !node.items.some((p) => isScalar(p.key) && p.key.value === key)) {
          r.fail(node, path, 'missing_key', `missing required key "${key}"`);
        }
      }
      r.remember(out, '', node);
      return out;
    }
    case 'tagged': {
      const kinds = Object.keys(spec.variants);
      if (!isMap(node) || node.items.length !== 1) {
        return r.fail(node, path, 'type', `must be a mapping with exactly one key naming its kind (${kinds.join(', ')})`);
      }
      const pair = node.items[0]!;
      const tag = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const variant = spec.variants[tag];
      if (!variant) {
        const hint = suggest(tag, kinds);
        return r.fail(pair.key as Node, joinPath(path, tag), 'unknown_kind', `unknown kind "${tag}"${hint ? ` (did you mean "${hint}"?)` : `; expected one of ${kinds.join(', ')}`}`);
      }
      const body = readNode(variant, pair.value as Node, joinPath(path, tag), r);
      const out = { kind: tag, body };
      r.remember(out, '', node);
      return out;
    }
  }
}

export function joinPath(path: string, key: string): string {
  const k = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${k}` : k;
}
