/** Value type helpers shared by the checker, the function catalogue and the emitter. */
import type { ValueType } from './api.js';

export const STRING: ValueType = { kind: 'string' };
export const INTEGER: ValueType = { kind: 'integer' };
export const BOOLEAN: ValueType = { kind: 'boolean' };
export const TIMESTAMP: ValueType = { kind: 'timestamp' };
export const NULL: ValueType = { kind: 'null' };

/** Largest scale a decimal may have: products are capped here, literals and casts may not exceed it. */
export const MAX_SCALE = 18;
/** Scale of every division result. */
export const DIVISION_SCALE = 12;

export function decimal(scale: number): ValueType {
  return { kind: 'decimal', scale };
}

/** `string`, `decimal(4)`, `list of string` — as ruleset authors write and read them. */
export function formatValueType(t: ValueType): string {
  switch (t.kind) {
    case 'decimal':
      return `decimal(${t.scale})`;
    case 'list':
      return `list of ${formatValueType(t.element)}`;
    default:
      return t.kind;
  }
}

export function isNumeric(t: ValueType): boolean {
  return t.kind === 'integer' || t.kind === 'decimal';
}

/** Scale of a numeric type; integers have scale 0. */
export function scaleOf(t: ValueType): number {
  return t.kind === 'decimal' ? t.scale : 0;
}

export function sameType(a: ValueType, b: ValueType): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'decimal' && b.kind === 'decimal') return a.scale === b.scale;
  if (a.kind === 'list' && b.kind === 'list') return sameType(a.element, b.element);
  return true;
}

/**
 * The one type two values can both be given without losing anything, or undefined when there is none.
 * `null` fits any type; integer and decimal meet at the larger scale (an exact widening).
 */
export function unify(a: ValueType, b: ValueType): ValueType | undefined {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (isNumeric(a) && isNumeric(b)) {
    return a.kind === 'integer' && b.kind === 'integer' ? INTEGER : decimal(Math.max(scaleOf(a), scaleOf(b)));
  }
  if (a.kind === 'list' || b.kind === 'list') return undefined;
  return a.kind === b.kind ? a : undefined;
}

export function unifyAll(types: readonly ValueType[]): ValueType | undefined {
  let result: ValueType | undefined = NULL;
  for (const t of types) {
    result = result && unify(result, t);
  }
  return result;
}
