/** Snowflake identifiers as tally accepts them in arguments and settings: plain names or double-quoted identifiers, never SQL. */

/** One identifier part: unquoted (Snowflake upper-cases it) or double-quoted with "" for a quote inside. */
const UNQUOTED = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const QUOTED = /^"(?:[^"]|"")+"$/;

/** The parts of a (possibly qualified) identifier, or null when it is not one. Quoted parts may contain dots. */
export function splitIdentifier(text: string): string[] | null {
  const parts: string[] = [];
  let i = 0;
  while (i <= text.length) {
    let part: string;
    if (text[i] === '"') {
      // a quoted part runs to the next quote that is not doubled
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j < 0) return null;
        if (text[j + 1] === '"') j += 2;
        else break;
      }
      part = text.slice(i, j + 1);
      i = j + 1;
    } else {
      const end = text.indexOf('.', i);
      part = text.slice(i, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
    }
    if (!UNQUOTED.test(part) && !QUOTED.test(part)) return null;
    parts.push(part);
    if (i === text.length) break;
    if (text[i] !== '.') return null;
    i += 1;
  }
  return parts.length >= 1 && parts.length <= 3 ? parts : null;
}

/** A connection name in `snowflake://CONNECTION/…`: a profile key, so a user:password@ never reaches messages or manifests. */
export function isConnectionName(text: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(text);
}
