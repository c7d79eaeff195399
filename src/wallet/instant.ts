/**
 * Instants as canonical UTC text, `YYYY-MM-DD HH:MM:SS.ffffff`, so that comparing two instants is comparing
 * two strings (and DuckDB's `strftime(t, '%Y-%m-%d %H:%M:%S.%f')` yields the same form).
 */
const CANONICAL = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
const INPUT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Reads `2026-11-01`, `2026-11-01T08:00`, `2026-11-01 08:00:00.5`, `2026-11-01T08:00:00+01:00` (UTC when no offset).
 * Returns null when the text is not such an instant.
 */
export function parseInstant(text: string): string | null {
  const t = text.trim();
  if (CANONICAL.test(t)) return t;
  const m = INPUT.exec(t);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const micros = frac.padEnd(6, '0').slice(0, 6);
  let offsetMinutes = 0;
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - offsetMinutes * 60_000;
  const date = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March: a rolled-over date was not a real one.
  if (!zone || zone === 'Z') {
    if (date.getUTCDate() !== Number(d) || date.getUTCMonth() !== Number(mo) - 1 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  }
  if (Number.isNaN(ms)) return null;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}.${micros}`;
}

/** Like parseInstant, throwing a message that names what was wrong. */
export function instant(text: string, what: string): string {
  const v = parseInstant(text);
  if (v === null) throw new InstantError(`${what}: "${text}" is not a date or time (write 2026-11-01 or 2026-11-01T08:00:00Z)`);
  return v;
}

export class InstantError extends Error {}

/**
 * The next term of the same length: whole calendar months when the term is whole months (2026-01-01 to
 * 2026-04-01 is followed by 2026-04-01 to 2026-07-01), otherwise the same duration.
 */
export function nextTerm(start: string, end: string): { start: string; end: string } {
  if (start.slice(8) === end.slice(8) && Number(start.slice(8, 10)) <= 28) {
    const months = (Number(end.slice(0, 4)) - Number(start.slice(0, 4))) * 12 + Number(end.slice(5, 7)) - Number(start.slice(5, 7));
    const total = Number(end.slice(0, 4)) * 12 + Number(end.slice(5, 7)) - 1 + months;
    const y = Math.floor(total / 12);
    const m = (total % 12) + 1;
    return { start: end, end: `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}${end.slice(7)}` };
  }
  const toMs = (t: string) => Date.parse(`${t.slice(0, 19).replace(' ', 'T')}Z`);
  const next = new Date(2 * toMs(end) - toMs(start)).toISOString().slice(0, 19).replace('T', ' ');
  return { start: end, end: `${next}.${end.slice(20)}` };
}
