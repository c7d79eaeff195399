/** Conversions between the declared field types of a ruleset and the value types of the expression language. */
import type { ValueType } from '../expr/api.js';
import type { FieldType } from '../ruleset/ir.js';

export function valueTypeOf(t: FieldType): ValueType {
  switch (t.kind) {
    case 'decimal':
      return { kind: 'decimal', scale: t.scale };
    case 'timestamp':
      return { kind: 'timestamp' };
    default:
      return { kind: t.kind };
  }
}

/** The field type an expression result is stored as; undefined for types a field cannot hold (lists). */
export function fieldTypeOf(v: ValueType): FieldType | undefined {
  switch (v.kind) {
    case 'decimal':
      return { kind: 'decimal', precision: 38, scale: v.scale };
    case 'timestamp':
      return { kind: 'timestamp', format: null };
    case 'null':
      return { kind: 'string' };
    case 'list':
      return undefined;
    default:
      return { kind: v.kind };
  }
}

export function formatFieldType(t: FieldType): string {
  return t.kind === 'decimal' ? `decimal(${t.precision},${t.scale})` : t.kind;
}

/** Parses `decimal(18,3)`, `decimal`, `integer`, `string`, `timestamp`, `boolean`. */
export function parseFieldType(text: string, format: string | null = null): FieldType | undefined {
  const m = /^\s*decimal\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$/.exec(text);
  if (m) {
    const precision = m[1] ? Number(m[1]) : 38;
    const scale = m[2] ? Number(m[2]) : m[1] ? 0 : 9;
    if (precision < 1 || precision > 38 || scale > precision) return undefined;
    return { kind: 'decimal', precision, scale };
  }
  switch (text.trim()) {
    case 'string':
      return { kind: 'string' };
    case 'integer':
      return { kind: 'integer' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'timestamp':
      return { kind: 'timestamp', format };
    default:
      return undefined;
  }
}

export const FIELD_TYPE_HINT = 'must be string, integer, boolean, timestamp, decimal or decimal(P,S) such as decimal(18,3)';
