/**
 * The function catalogue, as data: each entry gives its parameters, result type, a one-line doc and its
 * SQL. The checker, the docs (`describeFunctions()`) and every error message read from here, so a
 * function is added in one place. SQL that differs between engines goes through `SqlDialect` methods,
 * so a new dialect never needs a change here; portable SQL (lower, trim, coalesce…) is written inline.
 */
import type { ValueType } from './api.js';
import type { NameSource, SqlDialect, SqlValue, TimePart, TruncUnit } from './dialect.js';
import type { TypedNode } from './typed-ast.js';
import { suggest } from './suggest.js';
import { BOOLEAN, INTEGER, MAX_SCALE, STRING, TIMESTAMP, decimal, formatValueType, scaleOf, unifyAll } from './types.js';
import { isUtcZone } from './time-zones.js';

/** What a parameter accepts: value kinds, `numeric` (integer or decimal) or `any` (any non-list). */
export type Accepts = ReadonlyArray<'string' | 'integer' | 'decimal' | 'numeric' | 'timestamp' | 'boolean' | 'any'>;

export interface ParamSpec {
  name: string;
  accepts: Accepts;
  /** Must be written as a literal: its value shapes the SQL or the result type. */
  literal?: boolean;
  optional?: boolean;
  /** The last parameter may be repeated. */
  repeats?: boolean;
}

/** An argument ready for SQL: its fragment, type and checked node (for literal values). */
export interface SqlArg extends SqlValue {
  node: TypedNode;
}

export interface EmitContext {
  dialect: SqlDialect;
  names: NameSource;
  /** The resolved IANA zone of a time function call. */
  zone: string | undefined;
  /** An argument's SQL as type `t` (a widening cast when its own type differs). */
  as(arg: SqlArg, t: ValueType): string;
}

export interface FunctionDef {
  name: string;
  /** One line, for docs and messages. */
  doc: string;
  params: readonly ParamSpec[];
  /** Time functions take an optional last argument: an IANA zone name as a string literal. */
  zoned?: boolean;
  /** The result type as docs show it. */
  returns: string;
  /** The result type, or a message when the arguments do not fit together. */
  result(args: readonly TypedNode[]): ValueType | string;
  /** Checks literal argument values: the index of a bad argument and what is wrong with it. */
  validate?(args: readonly TypedNode[]): [number, string] | undefined;
  emit(args: readonly SqlArg[], ctx: EmitContext, type: ValueType): string;
}

// ---------------------------------------------------------------------------------------------
// Helpers for entries

const p = (name: string, accepts: Accepts, extra: Omit<ParamSpec, 'name' | 'accepts'> = {}): ParamSpec => ({ name, accepts, ...extra });
const sql = (args: readonly SqlArg[]) => args.map((a) => a.sql);
const arg = (args: readonly SqlArg[], i: number): SqlArg => args[i]!;

export function literalString(n: TypedNode | undefined): string | undefined {
  return n?.kind === 'string' ? n.value : undefined;
}

export function literalInteger(n: TypedNode | undefined): number | undefined {
  return n?.kind === 'integer' ? Number(n.text) : undefined;
}

/** The `scale` argument: an integer literal from 0 to MAX_SCALE. */
function validateScale(args: readonly TypedNode[], i: number): [number, string] | undefined {
  const scale = literalInteger(args[i]);
  if (args[i] === undefined || (scale !== undefined && scale >= 0 && scale <= MAX_SCALE)) return undefined;
  return [i, `the scale must be a whole number from 0 to ${MAX_SCALE}`];
}

const scaleArg = (args: readonly TypedNode[], i: number, fallback = 0) => literalInteger(args[i]) ?? fallback;

/** Same type as the arguments, all of which must share one (integer and decimal meet at the larger scale). */
function sharedType(name: string) {
  return (args: readonly TypedNode[]): ValueType | string =>
    unifyAll(args.map((a) => a.type)) ??
    `the arguments of ${name}() must share one type, not ${args.map((a) => formatValueType(a.type)).join(', ')}`;
}

function local(ts: string, ctx: EmitContext): string {
  // UTC needs no conversion: the common case stays as cheap as a plain function call.
  return ctx.zone === undefined || isUtcZone(ctx.zone) ? ts : ctx.dialect.toLocal(ts, ctx.zone);
}

function timePart(name: TimePart, doc: string): FunctionDef {
  return {
    name,
    doc,
    params: [p('ts', ['timestamp'])],
    zoned: true,
    returns: 'integer',
    result: () => INTEGER,
    emit: (args, ctx) => ctx.dialect.timePart(name, local(arg(args, 0).sql, ctx)),
  };
}

const TRUNC_UNITS: readonly TruncUnit[] = ['hour', 'day', 'week', 'month', 'quarter', 'year'];

/** strftime specifiers DuckDB and the docs agree on. */
const TIME_FORMAT_SPECIFIERS = new Set(
  ['a', 'A', 'w', 'u', 'd', '-d', 'b', 'B', 'h', 'm', '-m', 'y', '-y', 'Y', 'H', '-H', 'I', '-I', 'p', 'M', '-M', 'S', '-S',
    'g', 'f', 'n', 'z', 'Z', 'j', '-j', 'U', 'W', 'V', 'G', 'c', 'x', 'X', 'T', '%'],
);

function validateTimeFormat(format: string | undefined, allowZone: boolean): string | undefined {
  if (format === undefined) return undefined;
  for (const m of format.matchAll(/%(-?.?)/g)) {
    const spec = m[1]!;
    if (!TIME_FORMAT_SPECIFIERS.has(spec)) return `unknown format specifier "%${spec}"`;
    if (!allowZone && (spec === 'z' || spec === 'Z')) {
      return '%z and %Z are not available here: the time is shown as wall-clock time in the zone';
    }
  }
  return undefined;
}

/**
 * A regex must compile, and must stay within what RE2-style engines (DuckDB, Snowflake) support:
 * no lookaround and no backreferences.
 */
function validateRegex(pattern: string | undefined): string | undefined {
  if (pattern === undefined) return undefined;
  try {
    new RegExp(pattern);
  } catch (e) {
    return `invalid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
  if (/\(\?<?[=!]/.test(pattern)) return 'lookahead and lookbehind are not supported in regular expressions';
  if (/\\[1-9]/.test(pattern)) return 'backreferences are not supported in regular expressions';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The catalogue

const CATALOGUE: readonly FunctionDef[] = [
  // Null handling and choice
  {
    name: 'coalesce',
    doc: 'The first argument that is not null.',
    params: [p('value', ['any']), p('fallback', ['any'], { repeats: true })],
    returns: 'the arguments\' type',
    result: sharedType('coalesce'),
    emit: (args, ctx, type) => `coalesce(${args.map((a) => ctx.as(a, type)).join(', ')})`,
  },
  {
    name: 'if',
    doc: '`then` when the condition is true, else `otherwise` (also when the condition is null).',
    params: [p('condition', ['boolean']), p('then', ['any']), p('otherwise', ['any'])],
    returns: 'the branches\' type',
    result: (args) => sharedType('if')(args.slice(1)),
    emit: (args, ctx, type) =>
      `(CASE WHEN ${arg(args, 0).sql} THEN ${ctx.as(arg(args, 1), type)} ELSE ${ctx.as(arg(args, 2), type)} END)`,
  },
  {
    name: 'is_null',
    doc: 'True when the value is null (the same as `x == null`).',
    params: [p('value', ['any'])],
    returns: 'boolean',
    result: () => BOOLEAN,
    emit: (args) => `(${arg(args, 0).sql} IS NULL)`,
  },

  // Text
  {
    name: 'lower',
    doc: 'The text in lower case.',
    params: [p('s', ['string'])],
    returns: 'string',
    result: () => STRING,
    emit: (args) => `lower(${arg(args, 0).sql})`,
  },
  {
    name: 'upper',
    doc: 'The text in upper case.',
    params: [p('s', ['string'])],
    returns: 'string',
    result: () => STRING,
    emit: (args) => `upper(${arg(args, 0).sql})`,
  },
  {
    name: 'trim',
    doc: 'The text without leading and trailing spaces.',
    params: [p('s', ['string'])],
    returns: 'string',
    result: () => STRING,
    emit: (args) => `trim(${arg(args, 0).sql})`,
  },
  {
    name: 'length',
    doc: 'The number of characters.',
    params: [p('s', ['string'])],
    returns: 'integer',
    result: () => INTEGER,
    emit: (args) => `CAST(length(${arg(args, 0).sql}) AS BIGINT)`,
  },
  {
    name: 'substr',
    doc: 'Part of the text from position `start` (1 is the first character), `len` characters or to the end.',
    params: [p('s', ['string']), p('start', ['integer']), p('len', ['integer'], { optional: true })],
    returns: 'string',
    result: () => STRING,
    emit: (args) => `substr(${sql(args).join(', ')})`,
  },
  {
    name: 'starts_with',
    doc: 'True when the text starts with `prefix`.',
    params: [p('s', ['string']), p('prefix', ['string'])],
    returns: 'boolean',
    result: () => BOOLEAN,
    emit: (args, ctx) => ctx.dialect.startsWith(arg(args, 0).sql, arg(args, 1).sql),
  },
  {
    name: 'ends_with',
    doc: 'True when the text ends with `suffix`.',
    params: [p('s', ['string']), p('suffix', ['string'])],
    returns: 'boolean',
    result: () => BOOLEAN,
    emit: (args, ctx) => ctx.dialect.endsWith(arg(args, 0).sql, arg(args, 1).sql),
  },
  {
    name: 'contains',
    doc: 'True when `part` occurs in the text.',
    params: [p('s', ['string']), p('part', ['string'])],
    returns: 'boolean',
    result: () => BOOLEAN,
    emit: (args, ctx) => ctx.dialect.contains(arg(args, 0).sql, arg(args, 1).sql),
  },
  {
    name: 'concat',
    doc: 'The texts joined; a null counts as empty text (unlike `+`, which gives null).',
    params: [p('s', ['string'], { repeats: true })],
    returns: 'string',
    result: () => STRING,
    emit: (args, ctx) => ctx.dialect.concatSkippingNulls(sql(args)),
  },
  {
    name: 'replace',
    doc: 'The text with every occurrence of `from` replaced by `to`.',
    params: [p('s', ['string']), p('from', ['string']), p('to', ['string'])],
    returns: 'string',
    result: () => STRING,
    emit: (args) => `replace(${sql(args).join(', ')})`,
  },
  {
    name: 'matches',
    doc: 'True when the whole text matches the regular expression (RE2 syntax, a string literal).',
    params: [p('s', ['string']), p('regex', ['string'], { literal: true })],
    returns: 'boolean',
    result: () => BOOLEAN,
    validate: (args) => {
      const problem = validateRegex(literalString(args[1]));
      return problem ? [1, problem] : undefined;
    },
    emit: (args, ctx) => ctx.dialect.regexFullMatch(arg(args, 0).sql, literalString(arg(args, 1).node)!),
  },

  // Numbers
  {
    name: 'abs',
    doc: 'The absolute value.',
    params: [p('x', ['numeric'])],
    returns: 'the argument\'s type',
    result: (args) => args[0]!.type,
    emit: (args) => `abs(${arg(args, 0).sql})`,
  },
  {
    name: 'least',
    doc: 'The smallest argument, ignoring nulls (null only when all are null).',
    params: [p('a', ['numeric', 'string', 'timestamp']), p('b', ['numeric', 'string', 'timestamp'], { repeats: true })],
    returns: 'the arguments\' type',
    result: sharedType('least'),
    emit: (args, ctx, type) => ctx.dialect.least(args.map((a) => ctx.as(a, type))),
  },
  {
    name: 'greatest',
    doc: 'The largest argument, ignoring nulls (null only when all are null).',
    params: [p('a', ['numeric', 'string', 'timestamp']), p('b', ['numeric', 'string', 'timestamp'], { repeats: true })],
    returns: 'the arguments\' type',
    result: sharedType('greatest'),
    emit: (args, ctx, type) => ctx.dialect.greatest(args.map((a) => ctx.as(a, type))),
  },
  {
    name: 'round',
    doc: `Rounded half-even (2.665 → 2.66, 2.675 → 2.68) to \`scale\` decimals (a literal 0–${MAX_SCALE}, default 0).`,
    params: [p('x', ['numeric']), p('scale', ['integer'], { literal: true, optional: true })],
    returns: 'decimal(scale)',
    result: (args) => decimal(scaleArg(args, 1)),
    validate: (args) => validateScale(args, 1),
    emit: (args, ctx, type) => {
      const x = arg(args, 0);
      return scaleOf(x.type) <= scaleOf(type) ? ctx.as(x, type) : ctx.dialect.roundHalfEven(x, scaleOf(type), ctx.names);
    },
  },

  // Time
  timePart('hour', 'The hour, 0–23, in the ruleset time zone (or `zone`).'),
  timePart('minute', 'The minute, 0–59, in the ruleset time zone (or `zone`).'),
  timePart('weekday', 'The ISO weekday, 1 = Monday … 7 = Sunday, in the ruleset time zone (or `zone`).'),
  timePart('day', 'The day of the month, 1–31, in the ruleset time zone (or `zone`).'),
  timePart('month', 'The month, 1–12, in the ruleset time zone (or `zone`).'),
  timePart('year', 'The year in the ruleset time zone (or `zone`).'),
  {
    name: 'date_trunc',
    doc: `The instant the local ${TRUNC_UNITS.join('/')} containing \`ts\` starts (weeks start on Monday).`,
    params: [p('unit', ['string'], { literal: true }), p('ts', ['timestamp'])],
    zoned: true,
    returns: 'timestamp',
    result: () => TIMESTAMP,
    validate: (args) => {
      const unit = literalString(args[0]);
      if (unit === undefined || (TRUNC_UNITS as readonly string[]).includes(unit)) return undefined;
      const hint = suggest(unit, TRUNC_UNITS);
      return [0, `unknown unit "${unit}": use one of ${TRUNC_UNITS.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`];
    },
    emit: (args, ctx) => {
      const unit = literalString(arg(args, 0).node) as TruncUnit;
      const ts = arg(args, 1).sql;
      return ctx.zone === undefined || isUtcZone(ctx.zone)
        ? ctx.dialect.dateTrunc(unit, ts)
        : ctx.dialect.dateTruncInZone(unit, ts, ctx.zone, ctx.names);
    },
  },
  {
    name: 'format_time',
    doc: 'The local time as text, with a strftime format literal such as "%Y-%m-%d %H:%M".',
    params: [p('ts', ['timestamp']), p('format', ['string'], { literal: true })],
    zoned: true,
    returns: 'string',
    result: () => STRING,
    validate: (args) => {
      const problem = validateTimeFormat(literalString(args[1]), false);
      return problem ? [1, problem] : undefined;
    },
    emit: (args, ctx) => ctx.dialect.formatTime(local(arg(args, 0).sql, ctx), literalString(arg(args, 1).node)!),
  },
  {
    name: 'to_timestamp',
    doc: 'Text parsed with a strftime format literal, as local time unless the format has %z/%Z; null when it does not parse.',
    params: [p('s', ['string']), p('format', ['string'], { literal: true })],
    zoned: true,
    returns: 'timestamp',
    result: () => TIMESTAMP,
    validate: (args) => {
      const problem = validateTimeFormat(literalString(args[1]), true);
      return problem ? [1, problem] : undefined;
    },
    emit: (args, ctx) => {
      const text = arg(args, 0).sql;
      const format = literalString(arg(args, 1).node)!;
      if (/%[zZ]/.test(format)) return ctx.dialect.parseTimeWithOffset(text, format);
      const wallClock = ctx.dialect.parseTime(text, format);
      return ctx.zone === undefined || isUtcZone(ctx.zone) ? wallClock : ctx.dialect.fromLocal(wallClock, ctx.zone);
    },
  },

  // Conversions (null instead of an error, never a silent rounding)
  {
    name: 'to_decimal',
    doc: 'A decimal with `scale` decimals (a literal); null when text does not parse or a value has more decimals.',
    params: [p('x', ['string', 'numeric']), p('scale', ['integer'], { literal: true })],
    returns: 'decimal(scale)',
    result: (args) => decimal(scaleArg(args, 1)),
    validate: (args) => validateScale(args, 1),
    emit: (args, ctx, type) => {
      const x = arg(args, 0);
      const scale = scaleOf(type);
      if (x.type.kind === 'string') return ctx.dialect.parseDecimal(x, scale, ctx.names);
      if (x.type.kind === 'null') return ctx.dialect.typedNull(type);
      return scaleOf(x.type) <= scale ? ctx.as(x, type) : ctx.dialect.rescaleExactly(x, scale, ctx.names);
    },
  },
  {
    name: 'is_decimal',
    doc: 'True when the text is a decimal with at most `scale` decimals (a literal); false for null.',
    params: [p('s', ['string']), p('scale', ['integer'], { literal: true })],
    returns: 'boolean',
    result: () => BOOLEAN,
    validate: (args) => validateScale(args, 1),
    emit: (args, ctx) => `(${ctx.dialect.parseDecimal(arg(args, 0), literalInteger(arg(args, 1).node)!, ctx.names)} IS NOT NULL)`,
  },
  {
    name: 'to_integer',
    doc: 'An integer; null when text does not parse or a decimal is not a whole number.',
    params: [p('x', ['string', 'numeric'])],
    returns: 'integer',
    result: () => INTEGER,
    emit: (args, ctx) => {
      const x = arg(args, 0);
      if (x.type.kind === 'string') return ctx.dialect.parseInteger(x, ctx.names);
      if (x.type.kind === 'decimal') return ctx.dialect.decimalToInteger(x, ctx.names);
      return ctx.as(x, INTEGER);
    },
  },
  {
    name: 'to_string',
    doc: 'The value as text: decimals keep their scale, timestamps are ISO 8601 UTC with microseconds.',
    params: [p('x', ['any'])],
    returns: 'string',
    result: () => STRING,
    emit: (args, ctx) => ctx.dialect.toText(arg(args, 0)),
  },
];

export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map(CATALOGUE.map((f) => [f.name, f]));

export function getFunction(name: string): FunctionDef | undefined {
  return FUNCTIONS.get(name);
}

export interface FunctionDoc {
  name: string;
  /** e.g. `substr(s: string, start: integer, len?: integer)`. */
  signature: string;
  returns: string;
  doc: string;
}

export function signatureOf(f: FunctionDef): string {
  const params = f.params.map((param) => {
    const type = param.accepts.join(' or ') + (param.literal ? ' literal' : '');
    return `${param.name}${param.optional ? '?' : ''}: ${type}${param.repeats ? ', …' : ''}`;
  });
  if (f.zoned) params.push('zone?: string literal');
  return `${f.name}(${params.join(', ')})`;
}

/** The catalogue for docs, in catalogue order. */
export function describeFunctions(): FunctionDoc[] {
  return CATALOGUE.map((f) => ({ name: f.name, signature: signatureOf(f), returns: f.returns, doc: f.doc }));
}
