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
 * Converts text to a type, NULL when the text is not exactly a value of it. DuckDB's TRY_CAST would accept
 * `1e3` and `1_000` and silently round `1.2345` to DECIMAL(18,3) — none of which may pass for a quantity.
 */
export function castText(text: string, t: FieldType): string {
  switch (t.kind) {
    case 'string':
      return text;
    case 'decimal': {
      const frac = t.scale > 0 ? `(\\.\\d{0,${t.scale}})?|\\.\\d{1,${t.scale}}` : `\\.?`;
      const pattern = `^\\s*[+-]?(\\d+${frac})\\s*$`;
      return `CASE WHEN regexp_matches(${text}, ${quoteString(pattern)}) THEN TRY_CAST(trim(${text}) AS ${sqlType(t)}) END`;
    }
    case 'integer':
      return `CASE WHEN regexp_matches(${text}, '^\\s*[+-]?\\d+\\s*$') THEN TRY_CAST(trim(${text}) AS BIGINT) END`;
    case 'boolean':
      return `CASE lower(trim(${text})) WHEN 'true' THEN true WHEN 't' THEN true WHEN '1' THEN true WHEN 'yes' THEN true WHEN 'false' THEN false WHEN 'f' THEN false WHEN '0' THEN false WHEN 'no' THEN false END`;
    case 'timestamp':
      if (!t.format) return `TRY_CAST(TRY_CAST(trim(${text}) AS TIMESTAMPTZ) AS TIMESTAMP)`;
      // A format with a zone (%z, %Z) yields TIMESTAMPTZ; bring it to UTC. The session time zone is UTC.
      return /%[zZ]/.test(t.format)
        ? `CAST(try_strptime(${text}, ${quoteString(t.format)}) AS TIMESTAMP)`
        : `try_strptime(${text}, ${quoteString(t.format)})`;
  }
}
