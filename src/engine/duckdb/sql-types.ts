/** DuckDB types of ruleset fields, and strict text-to-type conversion (DuckDB's own casts are too lenient for money). */
import { duckdbDialect } from '../../expr/dialect.js';
import { tryCastDecimal } from '../../expr/duckdb-dialect.js';
import type { FieldType } from '../../ruleset/ir.js';

/** Text to wide DECIMALs without DuckDB's slow path (see tryCastDecimal). */
export { castDecimal, tryCastDecimal } from '../../expr/duckdb-dialect.js';

export function sqlType(t: FieldType): string {
  switch (t.kind) {
    case 'string':
      return 'VARCHAR';
    case 'decimal':
      return `DECIMAL(${t.precision}, ${t.scale})`;
    case 'integer':
      return 'BIGINT';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'boolean':
      return 'BOOLEAN';
  }
}

/** A SQL string literal (the expression language's quoting, one definition for the project). */
export const quoteString = (s: string): string => duckdbDialect.quoteString(s);

/** A quoted SQL identifier (the expression language's quoting, one definition for the project). */
export const quoteIdent = (name: string): string => duckdbDialect.quoteIdent(name);

/**
 * Converts text to a type, NULL when the text is not exactly a value of the type. DuckDB's TRY_CAST alone would
 * accept `1e3` and `1_000`, silently round `1.2345` to DECIMAL(18,3), and take hour 24 as midnight of the next
 * day — none of which may pass for a quantity or an event time. The guards are substring and LIKE tests rather
 * than a regular expression or GLOB: on 10 M rows those cost a second or more, these a few tens of milliseconds.
 */
export function castText(text: string, t: FieldType): string {
  switch (t.kind) {
    case 'string':
      return text;
    case 'decimal':
      return `CASE WHEN ${notPlainDecimal(text, t.scale)} THEN NULL ELSE ${tryCastDecimal(text, t.precision, t.scale)} END`;
    case 'integer':
      // Through DECIMAL(18,0): BIGINT's own cast would take 0x1A, 0b101 and round .5.
      return `CASE WHEN ${notPlainDecimal(text, 0)} THEN NULL ELSE CAST(TRY_CAST(${text} AS DECIMAL(18, 0)) AS BIGINT) END`;
    case 'boolean':
      return `CASE lower(trim(${text})) WHEN 'true' THEN true WHEN 't' THEN true WHEN '1' THEN true WHEN 'yes' THEN true WHEN 'false' THEN false WHEN 'f' THEN false WHEN '0' THEN false WHEN 'no' THEN false END`;
    case 'timestamp':
      if (!t.format) {
        // ISO 8601, with or without an offset (none means UTC: the session's zone). The shape check keeps out what
        // DuckDB's reader also takes: 'infinity', '-infinity', 'epoch', signed and five-digit years (as Snowflake's).
        // A LIKE on the shape, not a regular expression: on 10 M rows the regex costs about 0.3 s more.
        return `CASE WHEN trim(${text}) LIKE '____-__-__%' THEN TRY_CAST(TRY_CAST(trim(${text}) AS TIMESTAMPTZ) AS TIMESTAMP) END`;
      }
      if (t.format === '%Y-%m-%d %H:%M:%S') {
        // The common layout, parsed by DuckDB's native timestamp reader (strptime is several times slower);
        // the shape check keeps it as strict as the format, and hour 24 (which the reader rolls over) is refused.
        return `CASE WHEN ${text} LIKE '____-__-__ __:__:__' AND NOT (${text} LIKE '% 24:%') THEN TRY_CAST(${text} AS TIMESTAMP) END`;
      }
      // A format with a zone (%z, %Z) yields TIMESTAMPTZ; bring it to UTC. The session time zone is UTC.
      return /%[zZ]/.test(t.format)
        ? `CAST(try_strptime(${text}, ${quoteString(t.format)}) AS TIMESTAMP)`
        : `try_strptime(${text}, ${quoteString(t.format)})`;
  }
}

/**
 * What TRY_CAST to DECIMAL accepts beyond a plain decimal: exponents and digit-group underscores, and more
 * decimals than the scale (which it rounds). Spaces after the digits do not count as decimals; they are
 * trimmed only on the rare rows that look over-precise. Written as "is it bad" with OR and position arithmetic:
 * on 10 M rows this costs about 0.3 s, the earlier AND NOT / LIKE '%.____%' form about 0.57 s.
 */
function notPlainDecimal(text: string, scale: number): string {
  const overPrecise = (x: string) => `instr(${x}, '.') BETWEEN 1 AND length(${x}) - ${scale + 1}`;
  return `(contains(${text}, 'e') OR contains(${text}, 'E') OR contains(${text}, '_')
    OR (${overPrecise(text)} AND ${overPrecise(`rtrim(${text})`)}))`;
}
