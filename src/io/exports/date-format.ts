/**
 * Dates and times for export files, from the engine's canonical UTC text (`2026-10-01 00:00:00` for period
 * bounds, `2026-10-15 08:30:00.000000` for `at`), formatted by a small token pattern.
 *
 * No `Date` parsing of text and no rounding: fields are cut from the text. Only a time zone other than UTC
 * goes through `Intl` (whole seconds, exact), and the fraction is carried over as written.
 *
 * Tokens: YYYY MM DD HH mm ss SSS (milliseconds, cut) SSSSSS (microseconds) Z (`Z` at UTC, else `+01:00`);
 * separators `- / : . , T` and space; `[text]` for literal text. Named formats: `iso-date`, `iso-datetime`.
 */

export const NAMED_FORMATS: Readonly<Record<string, string>> = {
  'iso-date': 'YYYY-MM-DD',
  'iso-datetime': 'YYYY-MM-DDTHH:mm:ssZ',
};

type Token = 'YYYY' | 'MM' | 'DD' | 'HH' | 'mm' | 'ss' | 'SSS' | 'SSSSSS' | 'Z' | { literal: string };

const TOKEN = /YYYY|MM|DD|HH|mm|ss|SSSSSS|SSS|Z|[-/:.,T ]|\[[^\]]*\]/y;

export const DATE_FORMAT_HELP =
  'write a pattern of YYYY, MM, DD, HH, mm, ss, SSS, SSSSSS, Z with separators - / : . , T or space and [literal text], or one of iso-date, iso-datetime (e.g. MM/DD/YYYY)';

/** The tokens of a pattern, or the part of it that is not one (for the error message). */
export function compileDateFormat(pattern: string): { tokens: Token[] } | { bad: string } {
  const text = NAMED_FORMATS[pattern] ?? pattern;
  if (text === '') return { bad: '' };
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) return { bad: text.slice(at) };
    const t = m[0];
    if (t.startsWith('[')) tokens.push({ literal: t.slice(1, -1) });
    else if (t.length === 1 && t !== 'Z') tokens.push({ literal: t });
    else tokens.push(t as Token);
  }
  return { tokens };
}

interface Parts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
  /** Six digits. */
  micros: string;
  /** Minutes east of UTC. */
  offset: number;
}

const CANONICAL = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** The parts of a canonical UTC instant; null when the text is not one. */
export function utcParts(text: string): Parts | null {
  const m = CANONICAL.exec(text);
  if (!m) return null;
  const [, year, month, day, hour, minute, second, frac = ''] = m;
  return { year: year!, month: month!, day: day!, hour: hour!, minute: minute!, second: second!, micros: frac.padEnd(6, '0'), offset: 0 };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

const wholeSeconds = (p: Parts) => Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));

function fromMillis(ms: number, micros: string, offset: number): Parts {
  const d = new Date(ms);
  return {
    year: pad(d.getUTCFullYear(), 4),
    month: pad(d.getUTCMonth() + 1),
    day: pad(d.getUTCDate()),
    hour: pad(d.getUTCHours()),
    minute: pad(d.getUTCMinutes()),
    second: pad(d.getUTCSeconds()),
    micros,
    offset,
  };
}

/** One second earlier, as canonical text: the last second of a period whose (exclusive) end is `text`. */
export function secondBefore(text: string): string | null {
  const p = utcParts(text);
  if (!p) return null;
  const q = fromMillis(wholeSeconds(p) - 1000, p.micros, 0);
  return `${q.year}-${q.month}-${q.day} ${q.hour}:${q.minute}:${q.second}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `Intl` knows the zone (an IANA name such as Europe/Paris, or UTC). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterOf(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock parts of a UTC instant in `timeZone`. */
function inZone(p: Parts, timeZone: string): Parts {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return p;
  const ms = wholeSeconds(p);
  const got: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(new Date(ms))) if (part.type !== 'literal') got[part.type] = Number(part.value);
  const local = Date.UTC(got.year!, got.month! - 1, got.day!, got.hour!, got.minute!, got.second!);
  return fromMillis(local, p.micros, Math.round((local - ms) / 60_000));
}

function offsetText(minutes: number): string {
  if (minutes === 0) return 'Z';
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** Formats a canonical UTC instant; null when the text is not one. */
export function formatInstant(text: string, tokens: readonly Token[], timeZone: string): string | null {
  const utc = utcParts(text);
  if (!utc) return null;
  const p = inZone(utc, timeZone);
  let out = '';
  for (const t of tokens) {
    if (typeof t === 'object') out += t.literal;
    else if (t === 'YYYY') out += p.year;
    else if (t === 'MM') out += p.month;
    else if (t === 'DD') out += p.day;
    else if (t === 'HH') out += p.hour;
    else if (t === 'mm') out += p.minute;
    else if (t === 'ss') out += p.second;
    else if (t === 'SSS') out += p.micros.slice(0, 3);
    else if (t === 'SSSSSS') out += p.micros;
    else out += offsetText(p.offset);
  }
  return out;
}
