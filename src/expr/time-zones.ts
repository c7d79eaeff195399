/** IANA time zone names, checked with the ICU data Node ships (the same ICU family DuckDB uses). */

/** The canonical spelling of a zone (`europe/paris` → `Europe/Paris`), or undefined when unknown. */
export function resolveTimeZone(name: string): string | undefined {
  if (name.trim() === '') return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Zones that are UTC all year (Intl canonicalizes Etc/UTC, GMT, Zulu… to `UTC`): no conversion needed. */
export function isUtcZone(zone: string): boolean {
  return resolveTimeZone(zone) === 'UTC';
}

/** Every zone name, for "did you mean". */
export function timeZoneNames(): readonly string[] {
  return [...Intl.supportedValuesOf('timeZone'), 'UTC'];
}
