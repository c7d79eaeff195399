/** DuckDB types of ruleset fields, and strict text-to-type conversion (DuckDB's own casts are too lenient for money). */
import type { FieldType } from '../../ruleset/ir.js';

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

export function quoteString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * Converts text to a type, NULL when the text is not exactly a value of the type. DuckDB's TRY_CAST alone would
 * accept `1e3` and `1_000`, silently round `1.2345` to DECIMAL(18,3), and take hour 24 as midnight of the next
 * day — none of which may pass for a quantity or an event time. The guards are LIKE/GLOB patterns rather than a
 * regular expression: on 10 M rows a regex costs a second, these a few hundred milliseconds.
 */
export function castText(text: string, t: FieldType): string {
  switch (t.kind) {
    case 'string':
      return text;
    case 'decimal': {
      // Only sign, digits, point and spaces; at most `scale` characters after the point (spaces after the
      // digits are trimmed before counting, on the rare rows that look over-precise).
      const tooPrecise = `'%.${'_'.repeat(t.scale + 1)}%'`;
      const over = `(${text} LIKE ${tooPrecise} AND rtrim(${text}) LIKE ${tooPrecise})`;
      return `CASE WHEN NOT (${text} GLOB '*[!-+. 0-9]*') AND NOT ${over} THEN TRY_CAST(${text} AS ${sqlType(t)}) END`;
    }
    case 'integer':
      return `CASE WHEN NOT (${text} GLOB '*[!-+ 0-9]*') THEN TRY_CAST(${text} AS BIGINT) END`;
    case 'boolean':
      return `CASE lower(trim(${text})) WHEN 'true' THEN true WHEN 't' THEN true WHEN '1' THEN true WHEN 'yes' THEN true WHEN 'false' THEN false WHEN 'f' THEN false WHEN '0' THEN false WHEN 'no' THEN false END`;
    case 'timestamp':
      if (!t.format) return `TRY_CAST(TRY_CAST(trim(${text}) AS TIMESTAMPTZ) AS TIMESTAMP)`;
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
