/** What every part of the ruleset compiler shares: the reader (positions, diagnostics) and expression compiling. */
import type { Node } from 'yaml';
import { compileExpr, type TypedExpr } from '../expr/index.js';
import type { Scope, ValueType } from '../expr/api.js';
import type { NodeReader } from './node-reader.js';
import type { FieldType } from './ir.js';
import { valueTypeOf } from '../stages/field-types.js';
import { joinPath } from './spec.js';

export class CompileContext {
  constructor(
    readonly r: NodeReader,
    readonly timezone: string,
  ) {}

  error(obj: object | null, key: string, path: string, code: string, message: string): void {
    const node = obj ? this.r.nodeOf(obj, key) : undefined;
    this.r.report(node, key ? joinPath(path, key) : path, code, message);
  }

  /**
   * Compiles the expression at `obj[key]` against `fields`, reporting problems at the character they point to.
   */
  expr(obj: object, key: string, path: string, fields: ReadonlyMap<string, FieldType>, expected?: ValueType['kind']): TypedExpr | undefined {
    const source = (obj as Record<string, unknown>)[key];
    if (typeof source !== 'string') return undefined;
    const scope: Scope = new Map([...fields].map(([k, t]) => [k, valueTypeOf(t)]));
    const { expr, problems } = compileExpr(source, scope, { timezone: this.timezone }, expected);
    const node: Node | undefined = this.r.nodeOf(obj, key);
    for (const p of problems) {
      this.r.report(node, joinPath(path, key), p.code, p.message, 'error', this.r.positionInScalar(node, p.start));
    }
    return problems.length ? undefined : expr;
  }
}
