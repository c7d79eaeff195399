/**
 * SQL for a checked expression. Every identifier goes through `columnRef` (quoted by default), every
 * string through the dialect's quoting, every number is an exact typed literal: an expression can
 * never produce raw SQL. Every compound part is parenthesized, so SQL precedence never matters.
 */
import { Decimal } from 'decimal.js';
import type { ValueType } from './api.js';
import type { CompareOp } from './ast.js';
import type { NameSource, SqlDialect, SqlValue } from './dialect.js';
import type { Accepts, EmitContext, SqlArg } from './functions.js';
import { isLiteral, type TypedNode } from './typed-ast.js';
import { BOOLEAN, DIVISION_SCALE, MAX_SCALE, STRING, decimal, sameType, scaleOf } from './types.js';

export type ColumnRef = (name: string) => string;

export function emitSql(node: TypedNode, dialect: SqlDialect, columnRef: ColumnRef = dialect.quoteIdent): string {
  return new Emitter(dialect, columnRef).emit(node);
}

const SQL_COMPARE: Readonly<Record<CompareOp, string>> = { '==': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

// Enough digits to tell whether 1/x has a short exact expansion (MAX_SCALE decimals at most).
const ExactDecimal = Decimal.clone({ precision: 80 });

class Emitter {
  private counter = 0;
  private readonly names: NameSource = { fresh: () => `$${++this.counter}` };

  constructor(
    private readonly dialect: SqlDialect,
    private readonly columnRef: ColumnRef,
  ) {}

  emit(n: TypedNode): string {
    const d = this.dialect;
    switch (n.kind) {
      case 'string':
        return d.quoteString(n.value);
      case 'integer':
        return d.integerLiteral(n.text);
      case 'decimal':
        return d.decimalLiteral(n.text, scaleOf(n.type));
      case 'boolean':
        return d.booleanLiteral(n.value);
      case 'null':
        return 'NULL';
      case 'field':
        return this.columnRef(n.name);
      case 'negate':
        return `(- ${this.emit(n.operand)})`;
      case 'not':
        return `(NOT ${this.emit(n.operand)})`;
      case 'logic':
        return `(${this.emit(n.left)} ${n.op === 'and' ? 'AND' : 'OR'} ${this.emit(n.right)})`;
      case 'concat':
        return d.concat([this.as(n.left, STRING), this.as(n.right, STRING)]);
      case 'is_null':
        return `(${this.emit(n.operand)} IS ${n.negated ? 'NOT ' : ''}NULL)`;
      case 'compare':
        if (n.operandType.kind === 'null') return d.typedNull(BOOLEAN);
        return `(${this.as(n.left, n.operandType)} ${SQL_COMPARE[n.op]} ${this.as(n.right, n.operandType)})`;
      case 'in': {
        if (n.value.type.kind === 'null') return d.typedNull(BOOLEAN);
        const items = n.items.map((i) => this.as(i, n.operandType)).join(', ');
        return `(${this.as(n.value, n.operandType)} ${n.negated ? 'NOT IN' : 'IN'} (${items}))`;
      }
      case 'conditional':
        return `(CASE WHEN ${this.emit(n.test)} THEN ${this.as(n.then, n.type)} ELSE ${this.as(n.otherwise, n.type)} END)`;
      case 'arith':
        return this.arith(n);
      case 'call': {
        const ctx: EmitContext = { dialect: d, names: this.names, zone: n.zone, as: (a, t) => this.asValue(a, t) };
        const args: SqlArg[] = n.args.map((a, i) => {
          const value = this.value(a);
          // A bare NULL has no SQL type, which leaves overloaded functions (hour, date_trunc…) ambiguous.
          const param = n.fn.params[Math.min(i, n.fn.params.length - 1)];
          const typed = a.type.kind === 'null' && param ? nullTypeFor(param.accepts) : undefined;
          return { ...value, sql: typed ? d.typedNull(typed) : value.sql, node: a };
        });
        return n.fn.emit(args, ctx, n.type);
      }
    }
  }

  private arith(n: Extract<TypedNode, { kind: 'arith' }>): string {
    const d = this.dialect;
    if (n.type.kind === 'null') return 'NULL';
    if (n.left.type.kind === 'null' || n.right.type.kind === 'null') return d.typedNull(n.type);
    if (n.op === '/') return this.divide(n.left, n.right);
    if (n.type.kind === 'integer') return `(${this.emit(n.left)} ${n.op} ${this.emit(n.right)})`;
    const left = this.asDecimal(n.left);
    const right = this.asDecimal(n.right);
    if (n.op !== '*') return `(${left} ${n.op} ${right})`;
    // The exact product has the sum of the scales; past MAX_SCALE it is rounded half-even.
    const productScale = scaleOf(n.left.type) + scaleOf(n.right.type);
    const product = `(${left} * ${right})`;
    if (productScale <= MAX_SCALE) return product;
    return d.roundHalfEven({ sql: product, type: decimal(productScale), simple: false }, MAX_SCALE, this.names);
  }

  /**
   * Exact division at DIVISION_SCALE places. Dividing by a literal whose reciprocal is a short exact
   * decimal (1000, 0.25, 1024…) is a multiplication, much cheaper than the general exact division.
   */
  private divide(left: TypedNode, right: TypedNode): string {
    const d = this.dialect;
    const target = decimal(DIVISION_SCALE);
    if ((right.kind === 'integer' || right.kind === 'decimal') && new ExactDecimal(right.text).isZero()) {
      return d.typedNull(target);
    }
    const reciprocal = exactReciprocal(right);
    if (reciprocal) {
      const scale = scaleOf(left.type) + reciprocal.scale;
      const product = `(${this.asDecimal(left)} * ${d.decimalLiteral(reciprocal.text, reciprocal.scale)})`;
      if (scale <= DIVISION_SCALE) return d.widen(product, target);
      return d.roundHalfEven({ sql: product, type: decimal(scale), simple: false }, DIVISION_SCALE, this.names);
    }
    return d.divide(this.decimalValue(left), this.decimalValue(right), DIVISION_SCALE, this.names);
  }

  private value(n: TypedNode): SqlValue {
    return { sql: this.emit(n), type: n.type, simple: isSimple(n) };
  }

  private decimalValue(n: TypedNode): SqlValue {
    return { sql: this.asDecimal(n), type: n.type.kind === 'decimal' ? n.type : decimal(0), simple: isSimple(n) };
  }

  /** SQL of `n` as type `t`: a widening cast (integer → decimal, smaller → larger scale, typed null). */
  private as(n: TypedNode, t: ValueType): string {
    // An integer literal needed as a decimal is written as a decimal literal: same value, plainer SQL.
    if (n.kind === 'integer' && t.kind === 'decimal') return this.dialect.decimalLiteral(n.text, t.scale);
    return this.asValue(this.value(n), t);
  }

  private asValue(v: SqlValue, t: ValueType): string {
    return sameType(v.type, t) ? v.sql : this.dialect.widen(v.sql, t);
  }

  /** Integers become DECIMAL(38, 0), so integer and decimal arithmetic never falls back to floating point. */
  private asDecimal(n: TypedNode): string {
    return n.type.kind === 'decimal' ? this.emit(n) : this.as(n, decimal(0));
  }
}

/** The SQL type a null argument is given: the parameter's first accepted type (none for `any`). */
function nullTypeFor(accepts: Accepts): ValueType | undefined {
  const first = accepts[0];
  if (first === 'any' || first === undefined) return undefined;
  if (first === 'numeric' || first === 'decimal') return decimal(0);
  return { kind: first };
}

/** Columns and literals are cheap to repeat in SQL; anything else is bound once where it is reused. */
function isSimple(n: TypedNode): boolean {
  return isLiteral(n) || n.kind === 'field';
}

/** 1/x as an exact decimal literal of at most MAX_SCALE decimals, when there is one. */
function exactReciprocal(n: TypedNode): { text: string; scale: number } | undefined {
  if (n.kind !== 'integer' && n.kind !== 'decimal') return undefined;
  const x = new ExactDecimal(n.text);
  const r = new ExactDecimal(1).div(x);
  if (!r.times(x).eq(1) || r.decimalPlaces() > MAX_SCALE) return undefined;
  const scale = r.decimalPlaces();
  return { text: r.toFixed(scale), scale };
}

/** Field names an expression reads, in order of first use. */
export function fieldsIn(node: TypedNode): string[] {
  const seen = new Set<string>();
  const walk = (n: TypedNode): void => {
    switch (n.kind) {
      case 'field':
        seen.add(n.name);
        return;
      case 'negate':
      case 'not':
        return walk(n.operand);
      case 'is_null':
        return walk(n.operand);
      case 'arith':
      case 'concat':
      case 'compare':
      case 'logic':
        walk(n.left);
        return walk(n.right);
      case 'in':
        walk(n.value);
        return n.items.forEach(walk);
      case 'conditional':
        walk(n.test);
        walk(n.then);
        return walk(n.otherwise);
      case 'call':
        return n.args.forEach(walk);
      default:
        return;
    }
  };
  walk(node);
  return [...seen];
}
