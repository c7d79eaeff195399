/**
 * Time in SQL. Timestamps are UTC `TIMESTAMP`s; a ruleset time zone applies to periods and time-of-day bands.
 * For UTC everything stays plain (the hot path); for other zones the ICU functions convert.
 * The session time zone is set to UTC on connect, so TIMESTAMPTZ casts do not depend on the machine.
 */
import type { Period, TimeBand } from '../../ruleset/ir.js';
import { duckdbDialect, type SqlDialect } from '../../expr/dialect.js';
import { isUtcZone } from '../../expr/time-zones.js';

/** Wall-clock time in `tz` of the UTC timestamp `ts` (the expression language's conversion, plain for UTC). */
export function toLocal(ts: string, tz: string, dialect: SqlDialect = duckdbDialect): string {
  return isUtcZone(tz) ? ts : dialect.toLocal(ts, tz);
}

/** UTC instant of the wall-clock time `local` in `tz`. */
export function fromLocal(local: string, tz: string, dialect: SqlDialect = duckdbDialect): string {
  return isUtcZone(tz) ? local : dialect.fromLocal(local, tz);
}

const INTERVAL: Record<Period, string> = {
  hour: "INTERVAL '1 hour'",
  day: "INTERVAL '1 day'",
  week: "INTERVAL '7 days'",
  month: "INTERVAL '1 month'",
  quarter: "INTERVAL '3 months'",
  year: "INTERVAL '1 year'",
};

/** Local start of the period holding `ts` (a wall-clock TIMESTAMP in the ruleset zone). Weeks start on Monday (ISO). */
export function localPeriodStart(ts: string, period: Period, tz: string): string {
  return `date_trunc('${period}', ${toLocal(ts, tz)})`;
}

/** UTC start, UTC end and label of a period, from its local start (a column, so it is computed once per line). */
export function periodBoundsSql(local: string, period: Period, tz: string): { start: string; end: string; label: string } {
  return {
    start: fromLocal(local, tz),
    end: fromLocal(`(${local} + ${INTERVAL[period]})`, tz),
    label: periodLabelSql(local, period),
  };
}

/** `2026-10` for a month, `2026-10-05` a day, `2026-10-05T13` an hour, `2026-W41` an ISO week, `2026-Q4`, `2026`. */
function periodLabelSql(local: string, period: Period): string {
  switch (period) {
    case 'hour':
      return `strftime(${local}, '%Y-%m-%dT%H')`;
    case 'day':
      return `strftime(${local}, '%Y-%m-%d')`;
    case 'week':
      return `strftime(${local}, '%G-W%V')`;
    case 'month':
      return `strftime(${local}, '%Y-%m')`;
    case 'quarter':
      return `(strftime(${local}, '%Y') || '-Q' || CAST(quarter(${local}) AS VARCHAR))`;
    case 'year':
      return `strftime(${local}, '%Y')`;
  }
}

/**
 * The band name of each event: the first band whose schedule holds at the event's local time, else the default.
 * Spelled through an expression dialect, so other engines share it (DuckDB: `hour(…)`, `isodow(…)`).
 */
export function timeBandSql(ts: string, tz: string, bands: TimeBand[], defaultBand: string, dialect: SqlDialect = duckdbDialect): string {
  const local = toLocal(ts, tz, dialect);
  const quote = (text: string) => dialect.quoteString(text);
  const minuteOfDay = `(${dialect.timePart('hour', local)} * 60 + ${dialect.timePart('minute', local)})`;
  const whens = bands.flatMap((b) =>
    b.rules.map((r) => {
      const days = [...new Set(r.days)].sort().join(', ');
      const range = `${minuteOfDay} >= ${r.fromMinute} AND ${minuteOfDay} < ${r.toMinute}`;
      return `WHEN ${dialect.timePart('weekday', local)} IN (${days}) AND ${range} THEN ${quote(b.name)}`;
    }),
  );
  return whens.length ? `CASE ${whens.join(' ')} ELSE ${quote(defaultBand)} END` : quote(defaultBand);
}
