/**
 * Emitted SQL executed on a real in-memory DuckDB; every result is read back as text, so an exact
 * decimal and a nearly-right double can never be mistaken for one another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbDialect, emitSql } from '../../src/expr/index.js';
import { compileOk, openDuck, scopeOf, type Duck, type Row } from './helpers.js';

let duck: Duck;
beforeAll(async () => {
  duck = await openDuck();
});
afterAll(() => {
  duck.connection.closeSync();
});

const row: Row = {
  amount: ['decimal(2)', '12.34'],
  price: ['decimal(4)', '0.0100'],
  qty: ['integer', '5'],
  region: ['string', 'eu-west'],
  note: ['string', null],
  missing: ['decimal(2)', null],
  zero: ['decimal(2)', '0.00'],
  premium: ['boolean', 'true'],
  event_time: ['timestamp', '2026-10-25 00:30:00'],
};

/** Each case: [expression, expected text or null]; evaluated on `row`. */
function table(cases: Array<[string, string | null]>, timezone = 'UTC') {
  it.each(cases)('%s → %s', async (source, expected) => {
    expect(await duck.value(source, row, timezone)).toBe(expected);
  });
}

describe('exact arithmetic', () => {
  table([
    ['0.1 + 0.2 == 0.3', 'true'],
    ['0.1 + 0.2', '0.3'],
    ['amount * price', '0.123400'],
    ['amount - 0.345', '11.995'],
    ['qty * 2 - 1', '9'],
    ['qty + amount', '17.34'],
    ['-amount * 3', '-37.02'],
    ['3037000499 * 3037000499', '9223372030926249001'],
    ['12345678901234567.89 * 1', '12345678901234567.89'],
    // 12 + 12 decimals is capped at 18, rounded half-even: 1.5e-18 → 2e-18, 2.5e-18 → 2e-18.
    ['0.000000001500 * 0.000000001000', '0.000000000000000002'],
    ['0.000000002500 * 0.000000001000', '0.000000000000000002'],
    ['0.000000003500 * 0.000000001000', '0.000000000000000004'],
  ]);

  it('fails loudly on integer overflow instead of wrapping', async () => {
    await expect(duck.value('3037000500 * 3037000500')).rejects.toThrow(/overflow/i);
  });
});

describe('division: exact, half-even at 12 places', () => {
  table([
    ['1 / 3', '0.333333333333'],
    ['2 / 3', '0.666666666667'],
    ['-2 / 3', '-0.666666666667'],
    ['2 / -3', '-0.666666666667'],
    ['qty / 2', '2.500000000000'],
    // DOUBLE would give 2.9999999999999996 and 9007199254740992.
    ['0.3 / 0.1', '3.000000000000'],
    ['9007199254740993 / 1', '9007199254740993.000000000000'],
    ['9007199254740993 / 3', '3002399751580331.000000000000'],
    ['12345678901234567.89 / 7', '1763668414462081.127142857143'],
    ['1000000000000000.01 / 7', '142857142857142.858571428571'],
    ['amount / price', '1234.000000000000'],
    ['amount / 3 / 7', '0.587619047619'],
    // Exact ties at the 12th place go to the even neighbour.
    ['1 / 2000000000000', '0.000000000000'],
    ['3 / 2000000000000', '0.000000000002'],
    ['5 / 2000000000000', '0.000000000002'],
    ['7 / 2000000000000', '0.000000000004'],
    ['-5 / 2000000000000', '-0.000000000002'],
    ['qty / 3000000000000', '0.000000000002'],
    // Divisors with an exact reciprocal become a multiplication.
    ['qty / 1000', '0.005000000000'],
    ['amount / 0.25', '49.360000000000'],
    ['amount / 1024', '0.012050781250'],
    ['0.000000000005 / 10', '0.000000000000'],
    ['0.000000000015 / 10', '0.000000000002'],
    // Division by zero is null.
    ['qty / 0', null],
    ['amount / zero', null],
    ['amount / missing', null],
    ['missing / 2', null],
  ]);

  it('uses no floating point in the result type', async () => {
    const sql = emitSql(compileOk('amount / qty', scopeOf({ amount: 'decimal(2)', qty: 'integer' })), duckdbDialect);
    const type = await duck.scalar(`SELECT typeof(${sql}) FROM (SELECT CAST(1 AS DECIMAL(38, 2)) AS amount, CAST(3 AS BIGINT) AS qty)`);
    expect(type).toBe('DECIMAL(38,12)');
  });
});

describe('round: half-even, result stays decimal', () => {
  table([
    ['round(2.665, 2)', '2.66'],
    ['round(2.675, 2)', '2.68'],
    ['round(-2.665, 2)', '-2.66'],
    ['round(-2.675, 2)', '-2.68'],
    ['round(2.6651, 2)', '2.67'],
    ['round(0.5)', '0'],
    ['round(1.5)', '2'],
    ['round(2.5)', '2'],
    ['round(-2.5)', '-2'],
    ['round(amount, 1)', '12.3'],
    ['round(amount, 4)', '12.3400'],
    ['round(qty, 2)', '5.00'],
    ['round(1 / 3, 4)', '0.3333'],
    ['round(missing, 1)', null],
  ]);
});

describe('comparisons, in, logic', () => {
  table([
    ['amount > 12', 'true'],
    ['amount == 12.340', 'true'],
    ['qty >= 5 and qty < 5.5', 'true'],
    ['region == "eu-west"', 'true'],
    ['region != "eu-west"', 'false'],
    ['region in ["eu-west", "us-east"]', 'true'],
    ['region not in ["eu-west", "us-east"]', 'false'],
    ['region not in ["ap-south"]', 'true'],
    ['qty in [1, 5.0]', 'true'],
    ['premium == true', 'true'],
    ['!premium || qty > 1', 'true'],
    ['not premium or false', 'false'],
    ['event_time < to_timestamp("2026-10-25 01:00", "%Y-%m-%d %H:%M")', 'true'],
  ]);
});

describe('null semantics are SQL\'s', () => {
  table([
    ['note == null', 'true'],
    ['note != null', 'false'],
    ['null == null', 'true'],
    ['region == null', 'false'],
    ['note == "x"', null],
    ['note != "x"', null],
    ['amount > null', null],
    ['missing + 1', null],
    ['amount + null', null],
    ['note + "x"', null],
    ['concat(note, "x")', 'x'],
    ['coalesce(note, "n/a")', 'n/a'],
    ['coalesce(missing, qty)', '5.00'],
    ['is_null(note)', 'true'],
    ['note in ["a"]', null],
    ['note not in ["a"]', null],
    ['null and false', 'false'],
    ['null or true', 'true'],
    ['null and true', null],
    ['if(null, 1, 2)', '2'],
    ['note == "x" ? 1 : 2', '2'],
    ['least(qty, null, 3)', '3'],
    ['greatest(null, amount)', '12.34'],
  ]);
});

describe('a null argument is typed, so no function call is ambiguous to the engine', () => {
  it.each([
    'hour(null)', 'weekday(null)', 'hour(null, "Europe/Paris")', 'date_trunc("day", null)', 'date_trunc("hour", null, "Europe/Paris")',
    'format_time(null, "%Y")', 'to_timestamp(null, "%Y")', 'to_timestamp(null, "%Y %z")', 'contains(null, null)', 'starts_with(null, "a")',
    'lower(null)', 'length(null)', 'substr(null, 1)', 'matches(null, "a")', 'replace(null, "a", "b")', 'abs(null)', 'round(null, 2)',
    'to_integer(null)', 'to_decimal(null, 2)', 'to_string(null)', 'coalesce(null, null)', 'least(null, null)', 'if(true, null, null)',
    '-null', 'not null', 'null + 1', 'null * null', 'null / 2', '2 / null', 'null in [1]', '"a" + null', 'null and null',
  ])('%s is null', async (source) => {
    expect(await duck.value(source)).toBeNull();
  });
});

describe('strings are always data', () => {
  it('keeps an injection attempt as a plain string', async () => {
    await duck.connection.run('CREATE TABLE x (v INTEGER)');
    expect(await duck.value(`"'; DROP TABLE x; --"`)).toBe(`'; DROP TABLE x; --`);
    expect(await duck.value(`'\\'; DROP TABLE x; --'`)).toBe(`'; DROP TABLE x; --`);
    expect(await duck.value(`region == "'); DROP TABLE x; --"`, row)).toBe('false');
    expect(await duck.scalar('SELECT count(*) FROM x')).toBe('0');
  });

  table([
    [`"it's \\"quoted\\" and \\\\ back"`, `it's "quoted" and \\ back`],
    ['"a\\nb" == "a" + "\\n" + "b"', 'true'],
    ['lower("ÉU-West")', 'éu-west'],
    ['upper(region)', 'EU-WEST'],
    ['trim("  x  ")', 'x'],
    ['length("héllo")', '5'],
    ['substr(region, 4)', 'west'],
    ['substr(region, 1, 2)', 'eu'],
    ['starts_with(region, "eu-")', 'true'],
    ['ends_with(region, "east")', 'false'],
    ['contains(region, "-")', 'true'],
    ['replace(region, "-", "_")', 'eu_west'],
    ['concat(region, "/", to_string(qty))', 'eu-west/5'],
    ['region + "/" + "x"', 'eu-west/x'],
    ['matches(region, "[a-z]+-[a-z]+")', 'true'],
    ['matches(region, "[a-z]+")', 'false'],
    ['matches("abc123", "[a-z]+\\d+")', 'true'],
    ['matches("it\'s", "it\'s")', 'true'],
  ]);

  it('quotes field names, so reserved words and odd names are just columns', async () => {
    expect(await duck.value('select + order', { select: ['integer', '1'], order: ['integer', '2'] })).toBe('3');
    expect(duckdbDialect.quoteIdent('a"b')).toBe('"a""b"');
    expect(duckdbDialect.quoteString("a'b")).toBe("'a''b'");
  });
});

describe('conversions: null instead of a silent rounding', () => {
  table([
    ['to_decimal("12.34", 2)', '12.34'],
    ['to_decimal(" 12.3 ", 2)', '12.30'],
    ['to_decimal("-0.5", 1)', '-0.5'],
    ['to_decimal("+7", 0)', '7'],
    ['to_decimal("12.345", 2)', null],
    ['to_decimal("12.340", 2)', null],
    ['to_decimal("1e3", 2)', null],
    ['to_decimal("abc", 2)', null],
    ['to_decimal("", 2)', null],
    ['to_decimal(note, 2)', null],
    ['to_decimal("123456789012345678901234567890123456.78", 2)', '123456789012345678901234567890123456.78'],
    ['to_decimal("1234567890123456789012345678901234567.8", 2)', null],
    ['to_decimal(price, 2)', '0.01'],
    ['to_decimal(0.0150, 2)', null],
    ['to_decimal(qty, 2)', '5.00'],
    ['to_decimal(amount, 4)', '12.3400'],
    ['is_decimal("12.34", 2)', 'true'],
    ['is_decimal("12.345", 2)', 'false'],
    ['is_decimal(note, 2)', 'false'],
    ['to_integer("42")', '42'],
    ['to_integer(" -3 ")', '-3'],
    ['to_integer("12.7")', null],
    ['to_integer("99999999999999999999")', null],
    ['to_integer(12.00)', '12'],
    ['to_integer(amount)', null],
    ['to_string(price)', '0.0100'],
    ['to_string(premium)', 'true'],
    ['to_string(event_time)', '2026-10-25T00:30:00.000000Z'],
    ['to_timestamp("2026-07-01 12:00", "%Y-%m-%d %H:%M")', '2026-07-01 12:00:00'],
    ['to_timestamp("not a time", "%Y-%m-%d %H:%M")', null],
  ]);
});

describe('time in UTC (no conversion)', () => {
  table([
    ['hour(event_time)', '0'],
    ['minute(event_time)', '30'],
    ['weekday(event_time)', '7'],
    ['day(event_time)', '25'],
    ['month(event_time)', '10'],
    ['year(event_time)', '2026'],
    ['date_trunc("week", event_time)', '2026-10-19 00:00:00'],
    ['date_trunc("quarter", event_time)', '2026-10-01 00:00:00'],
    ['format_time(event_time, "%Y-%m-%d %H:%M")', '2026-10-25 00:30'],
    ['hour(event_time, "Europe/Paris")', '2'],
  ]);

  it('emits plain functions for UTC: the hot path has no zone conversion', () => {
    const scope = scopeOf({ ts: 'timestamp' });
    expect(emitSql(compileOk('hour(ts)', scope, 'UTC'), duckdbDialect)).toBe('hour("ts")');
    expect(emitSql(compileOk('weekday(ts, "Etc/UTC")', scope, 'Europe/Paris'), duckdbDialect)).toBe('isodow("ts")');
    expect(emitSql(compileOk('hour(ts)', scope, 'Europe/Paris'), duckdbDialect)).toBe(
      `hour(timezone('Europe/Paris', timezone('UTC', "ts")))`,
    );
  });
});

describe('time in Europe/Paris across the DST changes of 2026', () => {
  const at = (utc: string): Row => ({ ts: ['timestamp', utc] });
  const paris = (source: string, utc: string) => duck.value(source, at(utc), 'Europe/Paris');

  it.each([
    // Clocks go back on 2026-10-25 at 01:00 UTC (03:00 CEST → 02:00 CET): local 02:xx happens twice.
    ['2026-10-24 23:30:00', '1'],
    ['2026-10-25 00:30:00', '2'],
    ['2026-10-25 01:30:00', '2'],
    ['2026-10-25 02:30:00', '3'],
    // Clocks go forward on 2026-03-29 at 01:00 UTC (02:00 CET → 03:00 CEST): local 02:xx never happens.
    ['2026-03-29 00:30:00', '1'],
    ['2026-03-29 01:30:00', '3'],
  ])('hour at %s UTC is %s', async (utc, hour) => {
    expect(await paris('hour(ts)', utc)).toBe(hour);
  });

  it.each([
    ['2026-10-25 22:30:00', '7'], // Sunday 23:30 CET
    ['2026-10-25 23:30:00', '1'], // already Monday 00:30 in Paris, still Sunday in UTC
  ])('weekday at %s UTC is %s', async (utc, weekday) => {
    expect(await paris('weekday(ts)', utc)).toBe(weekday);
    expect(await duck.value('weekday(ts)', at(utc), 'UTC')).toBe('7');
  });

  it.each([
    ['day', '2026-10-25 12:00:00', '2026-10-24 22:00:00'], // local midnight, still CEST
    ['day', '2026-10-26 12:00:00', '2026-10-25 23:00:00'], // local midnight, now CET
    ['hour', '2026-10-25 00:30:00', '2026-10-25 00:00:00'], // the first 02:00
    ['hour', '2026-10-25 01:30:00', '2026-10-25 01:00:00'], // the second 02:00
    ['week', '2026-10-25 12:00:00', '2026-10-18 22:00:00'], // Monday 19th, 00:00 CEST
    ['month', '2026-10-31 23:30:00', '2026-10-31 23:00:00'], // 1 November, 00:00 CET
    ['year', '2026-06-01 00:00:00', '2025-12-31 23:00:00'],
  ])('date_trunc(%s) of %s UTC is %s UTC', async (unit, utc, expected) => {
    expect(await paris(`date_trunc("${unit}", ts)`, utc)).toBe(expected);
  });

  it('truncates to the hour in zones with half-hour offsets', async () => {
    expect(await duck.value('date_trunc("hour", ts)', at('2026-01-01 10:45:00'), 'Asia/Kolkata')).toBe('2026-01-01 10:30:00');
  });

  it('formats and parses wall-clock time in the zone', async () => {
    expect(await paris('format_time(ts, "%Y-%m-%d %H:%M")', '2026-10-25 00:30:00')).toBe('2026-10-25 02:30');
    expect(await paris('format_time(ts, "%H:%M")', '2026-10-25 01:30:00')).toBe('02:30');
    expect(await paris('to_timestamp("2026-07-01 12:00", "%Y-%m-%d %H:%M")', '2026-01-01 00:00:00')).toBe('2026-07-01 10:00:00');
    expect(await paris('to_timestamp("2026-01-15 12:00", "%Y-%m-%d %H:%M")', '2026-01-01 00:00:00')).toBe('2026-01-15 11:00:00');
    // An explicit offset wins over the zone.
    expect(await paris('to_timestamp("2026-07-01 12:00 +0000", "%Y-%m-%d %H:%M %z")', '2026-01-01 00:00:00')).toBe('2026-07-01 12:00:00');
  });

  it('does not depend on the session time zone', async () => {
    const other = await openDuck();
    try {
      await other.connection.run(`SET TimeZone = 'America/Los_Angeles'`);
      const row = { ts: ['timestamp', '2026-10-25 00:30:00'] } satisfies Row;
      expect(await other.value('hour(ts)', row, 'Europe/Paris')).toBe('2');
      expect(await other.value('date_trunc("day", ts)', row, 'Europe/Paris')).toBe('2026-10-24 22:00:00');
      expect(await other.value('to_timestamp("2026-07-01 12:00 +0000", "%Y-%m-%d %H:%M %z")', row, 'Europe/Paris')).toBe('2026-07-01 12:00:00');
    } finally {
      other.connection.closeSync();
    }
  });

  it('lets a call name another zone', async () => {
    expect(await paris('hour(ts, "America/New_York")', '2026-10-25 12:00:00')).toBe('8');
    expect(await paris('hour(ts, "UTC")', '2026-10-25 12:00:00')).toBe('12');
  });
});

describe('choice and numbers', () => {
  table([
    ['if(qty > 3, "many", "few")', 'many'],
    ['premium ? amount : 0', '12.34'],
    ['!premium ? amount : 0', '0.00'],
    ['abs(-amount)', '12.34'],
    ['abs(-7)', '7'],
    ['least(amount, 20, price)', '0.0100'],
    ['greatest(qty, 3)', '5'],
    ['greatest("a", "b")', 'b'],
    ['least(event_time, to_timestamp("2026-01-01", "%Y-%m-%d"))', '2026-01-01 00:00:00'],
  ]);
});
