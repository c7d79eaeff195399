/**
 * Hostile and broken input (issue 7): each case is an input (written here, byte for byte, or a small ruleset in
 * fixtures/hostile/), the command, and its expected outcome. Accepted runs are held to invariant 1 (row
 * accounting) and to "no accepted row is lost": the accepted count and the billed quantity equal those of the
 * good rows the case put in. Refusals must name the file (with line and column where there is one), say what to
 * do, write nothing, and never print a stack trace.
 *
 * Big inputs (the 10 MB field) are generated at test time, never committed. The CLI is run once or a few times
 * per case (~0.5 s each), serially: the machine has two cores shared with other work.
 *
 * `hostileCases` is exported so a report can count the fixtures; the pass count of a run is what
 * `npx vitest run test/reliability/hostile.test.ts --reporter=json` reports (a case marked `fails` is a known
 * defect, asserted with it.fails: it counts as not passed).
 *
 * Needs the built CLI: `npm run build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { Decimal as DecimalBase } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { ROOT, tally, tempDir, write } from '../helpers/cli.js';
import { checkRowAccounting, type AccountingManifest } from './row-accounting.js';

// Quantities up to decimal(38,3) are summed here: decimal.js's default 20 significant digits would round them.
const Decimal = DecimalBase.clone({ precision: 100 });
const FIXTURES = path.join(ROOT, 'test/reliability/fixtures/hostile');
const RULESETS = path.join(FIXTURES, 'rulesets');
const CLOUD = path.join(ROOT, 'rulesets/examples/cloud-api.yaml');
const VALUES = path.join(FIXTURES, 'values.yaml');
const STACK = /\n\s+at /;

// cloud-api usage: one API-request row per id; acct-acme and us-east-1 are known to the ruleset.
const H = 'event_id,ts,account_id,metric,region,quantity,caller';
const row = (id: string, q = '100', caller = 'web') => `${id},2026-10-01 00:05:00,acct-acme,api_request,us-east-1,${q},${caller}`;
const probe = (id: string) => `${id},2026-10-01 00:05:00,acct-internal-probe,api_request,us-east-1,1,internal-healthcheck`;
const csv = (...lines: string[]) => `${lines.join('\n')}\n`;

// values.yaml usage: event_id,account_id,ts,units.
const VH = 'event_id,account_id,ts,units';
const ev = (id: string, units: string, ts = '2026-10-10T10:00:00Z', account = 'a1') => `${id},${account},${ts},${units}`;

type Counts = { rows_read: number; accepted: number; rejected: number; duplicates: number; filtered: number };
const counts = (rows_read: number, accepted: number, rejected = 0, duplicates = 0, filtered = 0): Counts => ({ rows_read, accepted, rejected, duplicates, filtered });

interface Ctx {
  dir: string;
  out: string;
  code: number;
  stdout: string;
  stderr: string;
}

interface Accepted {
  /** Per input file, by base name. */
  files: Record<string, Counts>;
  byReason?: Record<string, number>;
  /** Every reject, in rejects.csv order: [file base name, line, reason] (and the detail must match when given). */
  rejects?: [string, number, string, RegExp?][];
  /** The good rows: the accepted count, and the billed quantity of `charge` (all its lines) they must add up to. */
  good: { count: number; charge: string; quantity: string };
  /** Charge lines to find, exactly, as [account, period, quantity, unit_price] (in charges.csv order). */
  lines?: [string, string, string, string][];
}

interface Refused {
  code: 1 | 3;
  /** Must name the file, and its line:col where the problem has one. */
  message: RegExp;
}

export interface HostileCase {
  name: string;
  group: 'csv' | 'values' | 'duplicates' | 'rulesets' | 'outputs';
  /** pass: expected to hold; fails: a known defect (it.fails, see note); skip: not run here (see note). */
  status: 'pass' | 'fails' | 'skip';
  note?: string;
  /** The ruleset's path (or write one into the case's folder). */
  ruleset?: string | ((dir: string) => string);
  /** The input files, written into the case's folder. */
  inputs?: (dir: string) => string[];
  command?: 'run' | 'validate';
  args?: (dir: string) => string[];
  expect?: { accepted: Accepted } | { refused: Refused };
  /** Extra checks (or the whole case, for those that run several commands). */
  check?: (ctx: Ctx) => void;
  /** The whole case, when it is not one command. */
  custom?: (dir: string) => void;
}

/** A file of cloud-api usage, written as given (a string is UTF-8; a Buffer is written byte for byte). */
const file = (name: string, content: string | Buffer) => (dir: string) => [write(dir, name, content as string)];

/** A copy of values.yaml with some text replaced (another period, a wider decimal), written into the case's folder. */
const valuesWith = (from: string, to: string) => (dir: string) => {
  const text = fs.readFileSync(VALUES, 'utf8');
  if (!text.includes(from)) throw new Error(`values.yaml has no "${from}"`);
  return write(dir, 'values.yaml', text.replace(from, to));
};

const TEN_MB = 10 * 1024 * 1024;

export const hostileCases: HostileCase[] = [
  // ---------------------------------------------------------------- CSV
  {
    name: 'csv: an unclosed quote swallows the rest of its file into one rejected record',
    group: 'csv',
    status: 'pass',
    ruleset: CLOUD,
    inputs: file('u.csv', csv(H, row('e1'), 'e2,2026-10-01 00:05:00,acct-acme,"api_request,us-east-1,5,web', row('e3'))),
    // e3 is inside the unclosed field: it is part of the rejected record, as CSV readers must (README).
    expect: { accepted: { files: { 'u.csv': counts(2, 1, 1) }, rejects: [['u.csv', 3, 'malformed_row', /unquoted_value/]], good: { count: 1, charge: 'api_requests', quantity: '100' } } },
  },
  {
    name: 'csv: embedded newlines in a quoted field; line numbers count records',
    group: 'csv',
    status: 'pass',
    ruleset: CLOUD,
    inputs: file('n.csv', csv(H, row('e1'), row('e2', '5', '"multi\nline\ncaller"'), row('e3'), row('e4', 'ten'))),
    // e4 is physical line 7 but record 5: rejects.csv counts records (README, "What a run guarantees").
    expect: { accepted: { files: { 'n.csv': counts(4, 3, 1) }, rejects: [['n.csv', 5, 'invalid_quantity']], good: { count: 3, charge: 'api_requests', quantity: '205' } } },
  },
  {
    name: 'csv: rows with too few and too many columns are malformed rejects',
    group: 'csv',
    status: 'pass',
    ruleset: CLOUD,
    inputs: file('c.csv', csv(H, row('e1'), 'e2,2026-10-01 00:05:00,acct-acme,api_request,us-east-1,5', `${row('e3')},extra`, 'e4,2026-10-01 00:05:00,acct-ac', row('e5'))),
    expect: {
      accepted: {
        files: { 'c.csv': counts(5, 2, 3) },
        rejects: [
          ['c.csv', 3, 'malformed_row', /missing_columns/],
          ['c.csv', 4, 'malformed_row', /too_many_columns/],
          // A record short of several columns is one reject (DuckDB reports it once per missing column).
          ['c.csv', 5, 'malformed_row', /missing_columns/],
        ],
        good: { count: 2, charge: 'api_requests', quantity: '200' },
      },
    },
  },
  {
    name: 'csv: a byte order mark before the header',
    group: 'csv',
    status: 'pass',
    ruleset: CLOUD,
    inputs: file('bom.csv', `\uFEFF${csv(H, row('e1'), row('e2'))}`),
    expect: { accepted: { files: { 'bom.csv': counts(2, 2) }, good: { count: 2, charge: 'api_requests', quantity: '200' } } },
  },
  {
    name: 'csv: CRLF line ends (no \\r left in the last column or in reject details)',
    group: 'csv',
    status: 'pass',
    ruleset: CLOUD,
    // The health check is filtered on its last column (caller): a \r left on it would make it billable.
    inputs: file('crlf.csv', csv(H, row('e1'), row('e2'), row('e3', 'ten'), probe('e4')).replace(/\n/g, '\r\n')),
    expect: {
      accepted: { files: { 'crlf.csv': counts(4, 2, 1, 0, 1) }, rejects: [['crlf.csv', 4, 'invalid_quantity', /^quantity="ten"$/]], good: { count: 2, charge: 'api_requests', quantity: '200' } },
    },
  },
  {
    name: 'csv: NUL bytes inside fields are kept as text, the rows are not lost',
    group: 'csv',
    status: 'pass',
    note: 'Decision: NUL is a valid (if odd) character; a row holding one is rated like any other.',
    ruleset: CLOUD,
    inputs: file('nul.csv', csv(H, row('e1'), row('e2', '100', 'we\0b'), row('e\x003'))),
    expect: { accepted: { files: { 'nul.csv': counts(3, 3) }, good: { count: 3, charge: 'api_requests', quantity: '300' } } },
  },
  {
    name: 'csv: invalid UTF-8 in rows rejects those rows, not the file',
    group: 'csv',
    status: 'pass',
    note: 'Was a defect: the header read failed on any later bad byte and the whole run stopped (fixed in src/run/mediate.ts fileColumns).',
    ruleset: CLOUD,
    inputs: file('enc.csv', Buffer.concat([Buffer.from(csv(H, row('e1'))), Buffer.from('e2,2026-10-01 00:05:00,acct-acme,api_request,us-east-1,5,caf\xe9\n', 'latin1'), Buffer.from('e3,2026-10-01 00:05:00,acct-\xff\xfe,api_request,us-east-1,5,web\n', 'latin1'), Buffer.from(csv(row('e4')))])),
    expect: {
      accepted: {
        files: { 'enc.csv': counts(4, 2, 2) },
        rejects: [
          ['enc.csv', 3, 'malformed_row', /invalid_encoding/],
          ['enc.csv', 4, 'malformed_row', /invalid_encoding/],
        ],
        good: { count: 2, charge: 'api_requests', quantity: '200' },
      },
    },
  },
  {
    name: 'csv: invalid UTF-8 in the header line refuses the file, naming it and line 1',
    group: 'csv',
    status: 'pass',
    ruleset: CLOUD,
    inputs: file('enc-header.csv', Buffer.concat([Buffer.from('event_id,ts,account_\xff,metric,region,quantity,caller\n', 'latin1'), Buffer.from(csv(row('e1')))])),
    expect: { refused: { code: 1, message: /cannot read \S*enc-header\.csv: .*Line: 1/ } },
  },
  {
    name: 'csv: a 10 MB unquoted field rejects its row (over the 2 MB line limit), the others are rated',
    group: 'csv',
    status: 'pass',
    note: 'Decision: DuckDB reads lines up to 2,000,000 bytes; a longer record is a malformed_row reject (line_size_over_maximum), the rest of the file is rated. Was a defect: it failed the whole run (fixed with the UTF-8 case).',
    ruleset: CLOUD,
    inputs: file('big.csv', csv(H, row('e1'), row('e2', '5', 'x'.repeat(TEN_MB)), row('e3'))),
    expect: { accepted: { files: { 'big.csv': counts(3, 2, 1) }, rejects: [['big.csv', 3, 'malformed_row', /line_size_over_maximum/]], good: { count: 2, charge: 'api_requests', quantity: '200' } } },
  },
  {
    name: 'csv: a 10 MB quoted field holding newlines rejects its record',
    group: 'csv',
    status: 'pass',
    ruleset: CLOUD,
    inputs: file('bigq.csv', csv(H, row('e1'), row('e2', '5', `"${`${'y'.repeat(1024 * 1024)}\n`.repeat(10)}"`), row('e3'))),
    expect: { accepted: { files: { 'bigq.csv': counts(3, 2, 1) }, rejects: [['bigq.csv', 3, 'malformed_row', /line_size_over_maximum/]], good: { count: 2, charge: 'api_requests', quantity: '200' } } },
  },
  {
    name: 'csv: a header missing a required column refuses the file and names the column',
    group: 'csv',
    status: 'pass',
    ruleset: CLOUD,
    inputs: file('missing.csv', csv('event_id,ts,account_id,metric,region,caller', 'e1,2026-10-01 00:05:00,acct-acme,api_request,us-east-1,web')),
    expect: { refused: { code: 1, message: /missing\.csv has no column "quantity"/ } },
  },
  {
    name: 'csv: reordered columns are read by name',
    group: 'csv',
    status: 'pass',
    ruleset: CLOUD,
    inputs: file('reorder.csv', csv('caller,quantity,region,metric,account_id,ts,event_id', 'web,100,us-east-1,api_request,acct-acme,2026-10-01 00:05:00,e1', 'web,7,us-east-1,api_request,acct-acme,2026-10-02 00:05:00,e2')),
    expect: { accepted: { files: { 'reorder.csv': counts(2, 2) }, good: { count: 2, charge: 'api_requests', quantity: '107' } } },
  },
  {
    name: 'csv: an empty file is refused (it has no header)',
    group: 'csv',
    status: 'pass',
    ruleset: CLOUD,
    inputs: file('empty.csv', ''),
    expect: { refused: { code: 1, message: /empty\.csv is empty: it has no header line/ } },
  },
  {
    name: 'csv: a file of only a header rates nothing and succeeds',
    group: 'csv',
    status: 'pass',
    ruleset: CLOUD,
    inputs: file('header.csv', csv(H)),
    expect: { accepted: { files: { 'header.csv': counts(0, 0) }, good: { count: 0, charge: 'api_requests', quantity: '0' } } },
    check: ({ out }) => expect(fs.readFileSync(path.join(out, 'charges.csv'), 'utf8').trim().split('\n')).toHaveLength(1),
  },
  {
    name: 'csv: a file still being written (last record cut mid-record, no newline) rejects that one record',
    group: 'csv',
    status: 'pass',
    note: 'Decision: the cut record is a malformed_row reject and the rest is rated; it is not detected as "incomplete file". Was a defect: the cut record was counted as 4 rejected rows (one per missing column), inflating rows_read and shifting later line numbers (fixed in src/run/mediate.ts collectMalformed).',
    ruleset: CLOUD,
    inputs: file('partial.csv', `${csv(H, row('e1'))}e2,2026-10-01 00:05:00,acct-ac`),
    expect: { accepted: { files: { 'partial.csv': counts(2, 1, 1) }, rejects: [['partial.csv', 3, 'malformed_row', /missing_columns: Expected Number of Columns: 7 Found: 3/]], good: { count: 1, charge: 'api_requests', quantity: '100' } } },
  },
  {
    name: 'csv: a file still being written, cut inside its last field, cannot be told from a complete one',
    group: 'csv',
    status: 'pass',
    note: 'Documented limitation: a record cut inside its last column is well formed (a file need not end with a newline), so it is rated as read. Writers must write under another name and rename into place.',
    ruleset: CLOUD,
    inputs: file('partial2.csv', `${csv(H, row('e1'))}${row('e2', '5', 'web-fronte')}`),
    expect: { accepted: { files: { 'partial2.csv': counts(2, 2) }, good: { count: 2, charge: 'api_requests', quantity: '105' } } },
  },

  // ---------------------------------------------------------------- values
  {
    name: 'values: NaN is not a quantity',
    group: 'values',
    status: 'pass',
    ruleset: VALUES,
    inputs: file('v.csv', csv(VH, ev('e1', '1'), ev('e2', 'NaN'), ev('e3', 'nan'))),
    expect: { accepted: { files: { 'v.csv': counts(3, 1, 2) }, byReason: { invalid_units: 2 }, good: { count: 1, charge: 'units', quantity: '1' } } },
  },
  {
    name: 'values: Infinity is not a quantity',
    group: 'values',
    status: 'pass',
    ruleset: VALUES,
    inputs: file('v.csv', csv(VH, ev('e1', '1'), ev('e2', 'Infinity'), ev('e3', '-Infinity'), ev('e4', 'inf'))),
    expect: { accepted: { files: { 'v.csv': counts(4, 1, 3) }, byReason: { invalid_units: 3 }, good: { count: 1, charge: 'units', quantity: '1' } } },
  },
  {
    name: 'values: 1e3 (an exponent) is rejected, never read as 1000',
    group: 'values',
    status: 'pass',
    ruleset: VALUES,
    inputs: file('v.csv', csv(VH, ev('e1', '1000'), ev('e2', '1e3'), ev('e3', '1E3'))),
    expect: { accepted: { files: { 'v.csv': counts(3, 1, 2) }, rejects: [['v.csv', 3, 'invalid_units', /1e3/], ['v.csv', 4, 'invalid_units', /1E3/]], good: { count: 1, charge: 'units', quantity: '1000' } } },
  },
  {
    name: 'values: 1,000 (a thousands separator) is rejected',
    group: 'values',
    status: 'pass',
    ruleset: VALUES,
    inputs: file('v.csv', csv(VH, ev('e1', '2'), ev('e2', '"1,000"'))),
    expect: { accepted: { files: { 'v.csv': counts(2, 1, 1) }, rejects: [['v.csv', 3, 'invalid_units', /1,000/]], good: { count: 1, charge: 'units', quantity: '2' } } },
  },
  {
    name: 'values: 1,5 (a decimal comma) is rejected',
    group: 'values',
    status: 'pass',
    ruleset: VALUES,
    inputs: file('v.csv', csv(VH, ev('e1', '2'), ev('e2', '"1,5"'))),
    expect: { accepted: { files: { 'v.csv': counts(2, 1, 1) }, rejects: [['v.csv', 3, 'invalid_units', /1,5/]], good: { count: 1, charge: 'units', quantity: '2' } } },
  },
  {
    name: 'values: more decimals than declared are rejected, never rounded',
    group: 'values',
    status: 'pass',
    ruleset: VALUES,
    inputs: file('v.csv', csv(VH, ev('e1', '1.234'), ev('e2', '1.2345'), ev('e3', '1.2340'))),
    expect: { accepted: { files: { 'v.csv': counts(3, 1, 2) }, byReason: { invalid_units: 2 }, good: { count: 1, charge: 'units', quantity: '1.234' } } },
  },
  {
    name: 'values: a quantity of 10^30 does not fit decimal(18,3) and is rejected',
    group: 'values',
    status: 'pass',
    ruleset: VALUES,
    inputs: file('v.csv', csv(VH, ev('e1', '5'), ev('e2', `1${'0'.repeat(30)}`))),
    expect: { accepted: { files: { 'v.csv': counts(2, 1, 1) }, byReason: { invalid_units: 1 }, good: { count: 1, charge: 'units', quantity: '5' } } },
  },
  {
    name: 'values: a quantity of 10^30 in decimal(38,3) is rated exactly',
    group: 'values',
    status: 'pass',
    ruleset: valuesWith('type: "decimal(18,3)"', 'type: "decimal(38,3)"'),
    inputs: file('v.csv', csv(VH, ev('e1', `1${'0'.repeat(30)}`), ev('e2', '0.001'))),
    expect: { accepted: { files: { 'v.csv': counts(2, 2) }, good: { count: 2, charge: 'units', quantity: `1${'0'.repeat(30)}.001` } } },
    check: ({ out }) => {
      const [line] = charges(out);
      expect(line).toMatchObject({ amount_exact: `1${'0'.repeat(28)}.00001`, amount: `1${'0'.repeat(28)}.00` });
    },
  },
  {
    name: 'values: a meter total past decimal(38) fails the run with a clear message',
    group: 'values',
    status: 'pass',
    note: 'The meter and charge are named (src/run/rate.ts meteringFailure), not DuckDB\'s "Overflow in HUGEINT addition".',
    ruleset: valuesWith('type: "decimal(18,3)"', 'type: "decimal(38,3)"'),
    inputs: file('v.csv', csv(VH, ev('e1', `${'9'.repeat(35)}.999`), ev('e2', `${'9'.repeat(35)}.999`))),
    expect: { refused: { code: 1, message: /^(?![\s\S]*unexpected failure)[\s\S]*(units|v\.csv)[\s\S]*overflow/i } },
  },
  {
    name: 'values: negative zero is zero (passes units >= 0, billed as 0.000)',
    group: 'values',
    status: 'pass',
    ruleset: VALUES,
    inputs: file('v.csv', csv(VH, ev('e1', '-0'), ev('e2', '-0.000'), ev('e3', '1'))),
    expect: { accepted: { files: { 'v.csv': counts(3, 3) }, good: { count: 3, charge: 'units', quantity: '1' }, lines: [['a1', '2026-10', '1.000', '0.01']] } },
  },
  {
    name: 'values: a timestamp without a zone is UTC, not the billing time zone',
    group: 'values',
    status: 'pass',
    note: 'Decision (as documented for the Snowflake dialect and the cloud-api example): no offset means UTC. 2026-10-31 23:30 UTC is 2026-11-01 00:30 in Paris: November.',
    ruleset: VALUES,
    inputs: file('v.csv', csv(VH, ev('e1', '1', '2026-10-31 23:30:00'), ev('e2', '2', '2026-10-31T23:30:00'), ev('e3', '4', '2026-10-31T23:30:00+01:00'))),
    expect: { accepted: { files: { 'v.csv': counts(3, 3) }, good: { count: 3, charge: 'units', quantity: '7' }, lines: [['a1', '2026-10', '4.000', '0.01'], ['a1', '2026-11', '3.000', '0.01']] } },
  },
  {
    name: 'values: days across DST changes in Europe/Paris last 25 and 23 hours',
    group: 'values',
    status: 'pass',
    ruleset: valuesWith('period: month', 'period: day'),
    inputs: file('v.csv', csv(VH,
      ev('e1', '1', '2026-10-24T22:00:00Z'), // 00:00 CEST, 25 Oct
      ev('e2', '1', '2026-10-25T00:30:00Z'), // 02:30 CEST (first pass)
      ev('e3', '1', '2026-10-25T01:30:00Z'), // 02:30 CET (second pass)
      ev('e4', '1', '2026-10-25T22:59:59Z'), // 23:59:59 CET
      ev('e5', '1', '2026-10-25T23:00:00Z'), // 00:00 CET, 26 Oct
      ev('e6', '1', '2026-03-29T01:30:00Z'), // 03:30 CEST, just after the jump
      ev('e7', '1', '2026-03-29T22:00:00Z'), // 00:00 CEST, 30 Mar
    )),
    expect: {
      accepted: {
        files: { 'v.csv': counts(7, 7) },
        good: { count: 7, charge: 'units', quantity: '7' },
        lines: [['a1', '2026-03-29', '1.000', '0.01'], ['a1', '2026-03-30', '1.000', '0.01'], ['a1', '2026-10-25', '4.000', '0.01'], ['a1', '2026-10-26', '1.000', '0.01']],
      },
    },
    check: ({ out }) => {
      const bounds = charges(out).map((l) => [l.period, l.period_start, l.period_end]);
      expect(bounds).toContainEqual(['2026-10-25', '2026-10-24 22:00:00', '2026-10-25 23:00:00']); // 25 hours
      expect(bounds).toContainEqual(['2026-03-29', '2026-03-28 23:00:00', '2026-03-29 22:00:00']); // 23 hours
    },
  },
  {
    name: 'values: events on a month boundary go to the month of their local time',
    group: 'values',
    status: 'pass',
    ruleset: VALUES,
    inputs: file('v.csv', csv(VH, ev('e1', '1', '2026-10-31T22:59:59Z'), ev('e2', '2', '2026-10-31T23:00:00Z'), ev('e3', '4', '2026-09-30T21:59:59Z'), ev('e4', '8', '2026-09-30T22:00:00Z'))),
    expect: { accepted: { files: { 'v.csv': counts(4, 4) }, good: { count: 4, charge: 'units', quantity: '15' }, lines: [['a1', '2026-09', '4.000', '0.01'], ['a1', '2026-10', '9.000', '0.01'], ['a1', '2026-11', '2.000', '0.01']] } },
  },
  {
    name: 'values: events far in the future are rated in their period',
    group: 'values',
    status: 'pass',
    note: 'Decision: tally has no horizon; a 2099 or 9999 event is billed in its own period (to refuse them, add a validate rule).',
    ruleset: VALUES,
    inputs: file('v.csv', csv(VH, ev('e1', '1', '2099-06-01T00:00:00Z'), ev('e2', '2', '9999-12-01T00:00:00Z'))),
    expect: { accepted: { files: { 'v.csv': counts(2, 2) }, good: { count: 2, charge: 'units', quantity: '3' }, lines: [['a1', '2099-06', '1.000', '0.01'], ['a1', '9999-12', '2.000', '0.01']] } },
  },
  {
    name: 'values: infinity, -infinity, epoch and out-of-range years are not event times',
    group: 'values',
    status: 'pass',
    note: 'Was a defect: DuckDB\'s TIMESTAMPTZ cast took them, so "-infinity" was billed in a period named "-infinity" (fixed in src/engine/duckdb/sql-types.ts castText, with the shape check the Snowflake dialect already had).',
    ruleset: VALUES,
    inputs: file('v.csv', csv(VH, ev('e1', '1'), ev('e2', '1', 'infinity'), ev('e3', '1', '-infinity'), ev('e4', '1', 'epoch'), ev('e5', '1', '10000-01-01'), ev('e6', '1', '-0001-01-01'))),
    expect: { accepted: { files: { 'v.csv': counts(6, 1, 5) }, byReason: { invalid_ts: 5 }, good: { count: 1, charge: 'units', quantity: '1' } } },
  },
  {
    name: 'values: events before the contract are rated by the rate card',
    group: 'values',
    status: 'pass',
    note: 'c1\'s contract starts at 2026-10-15T00:00:00Z; 22:00Z on the 14th is already the 15th in Paris but still before it.',
    ruleset: VALUES,
    inputs: file('v.csv', csv(VH, ev('e1', '100', '2026-10-14T21:59:59Z', 'c1'), ev('e2', '100', '2026-10-14T22:00:00Z', 'c1'), ev('e3', '100', '2026-10-15T00:00:00Z', 'c1'))),
    expect: { accepted: { files: { 'v.csv': counts(3, 3) }, good: { count: 3, charge: 'units', quantity: '300' }, lines: [['c1', '2026-10', '200.000', '0.01'], ['c1', '2026-10', '100.000', '0.005']] } },
  },

  // ---------------------------------------------------------------- duplicates
  {
    name: 'duplicates: an exact duplicate is counted once',
    group: 'duplicates',
    status: 'pass',
    ruleset: CLOUD,
    inputs: file('d.csv', csv(H, row('e1'), row('e1'), row('e2'))),
    expect: { accepted: { files: { 'd.csv': counts(3, 2, 0, 1) }, good: { count: 2, charge: 'api_requests', quantity: '200' } } },
  },
  {
    name: 'duplicates: a conflicting duplicate is rejected, the first copy kept',
    group: 'duplicates',
    status: 'pass',
    ruleset: CLOUD,
    inputs: file('d.csv', csv(H, row('e1'), row('e1', '999'), row('e2'))),
    expect: { accepted: { files: { 'd.csv': counts(3, 2, 1) }, rejects: [['d.csv', 3, 'conflicting_duplicate']], good: { count: 2, charge: 'api_requests', quantity: '200' } } },
  },
  {
    name: 'duplicates: across files of one run',
    group: 'duplicates',
    status: 'pass',
    ruleset: CLOUD,
    inputs: (dir) => [write(dir, 'a.csv', csv(H, row('e1'), row('e2'))), write(dir, 'b.csv', csv(H, row('e2'), row('e1', '999'), row('e3')))],
    expect: { accepted: { files: { 'a.csv': counts(2, 2), 'b.csv': counts(3, 1, 1, 1) }, rejects: [['b.csv', 3, 'conflicting_duplicate']], good: { count: 3, charge: 'api_requests', quantity: '300' } } },
  },
  {
    name: 'duplicates: the same file twice under two names in one run',
    group: 'duplicates',
    status: 'pass',
    note: 'Every row of the copy is a duplicate of the original\'s: nothing is billed twice.',
    ruleset: CLOUD,
    inputs: (dir) => {
      const a = write(dir, 'a.csv', csv(H, row('e1'), row('e2', '5')));
      const b = path.join(dir, 'a-copy.csv');
      fs.copyFileSync(a, b);
      return [a, b];
    },
    expect: { accepted: { files: { 'a.csv': counts(2, 2), 'a-copy.csv': counts(2, 0, 0, 2) }, good: { count: 2, charge: 'api_requests', quantity: '105' } } },
  },
  {
    name: 'duplicates: the same bytes under another name in a later run, with a state file, are recognized',
    group: 'duplicates',
    status: 'pass',
    note: 'Decision (README, "Exactly once"): same ruleset and same content hashes = the same run; it records nothing and rewrites the same outputs. A set that includes an already consumed file is refused.',
    custom: (dir) => {
      const state = path.join(dir, 'state.duckdb');
      const a = write(dir, 'a.csv', csv(H, row('e1'), row('e2', '5')));
      const copy = path.join(dir, 'renamed.csv');
      fs.copyFileSync(a, copy);
      const first = tally(['run', CLOUD, a, '--out', path.join(dir, 'o1'), '--state', state, '--quiet']);
      expect(first.code, first.stderr).toBe(0);
      const second = tally(['run', CLOUD, copy, '--out', path.join(dir, 'o2'), '--state', state]);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).not.toMatch(STACK);
      expect(second.stderr).toMatch(/already recorded as run-[0-9a-f]+: nothing new in the state/);
      const m2 = manifest(path.join(dir, 'o2'));
      expect((m2.state as { repeated?: boolean }).repeated).toBe(true);
      checkRowAccounting(m2, fs.readFileSync(path.join(dir, 'o2/rejects.csv'), 'utf8'));
      expect(fs.readFileSync(path.join(dir, 'o2/charges.csv'), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'o1/charges.csv'), 'utf8'));
      const third = tally(['run', CLOUD, a, write(dir, 'new.csv', csv(H, row('e9'))), '--out', path.join(dir, 'o3'), '--state', state, '--quiet']);
      expect(third.code).toBe(1);
      expect(third.stderr).toMatch(/already rated by ruleset cloud-api: .*a\.csv \(run run-[0-9a-f]+\); nothing was written/);
      expect(third.stderr).toMatch(/hint: /);
      expect(third.stderr).not.toMatch(STACK);
      expect(listOut(path.join(dir, 'o3'))).toEqual([]);
    },
  },

  // ---------------------------------------------------------------- rulesets
  {
    name: 'rulesets: a billion-laughs anchor bomb is refused at once (aliases are not expanded)',
    group: 'rulesets',
    status: 'pass',
    ruleset: path.join(RULESETS, 'billion-laughs.yaml'),
    command: 'validate',
    expect: { refused: { code: 3, message: /billion-laughs\.yaml:15:8 input: must be a mapping/ } },
    check: ({ stderr }) => expect(stderr).toMatch(/billion-laughs\.yaml:18:9 prices: must be a list/),
  },
  {
    name: 'rulesets: a billion-laughs bomb given to tally run is refused the same way',
    group: 'rulesets',
    status: 'pass',
    ruleset: path.join(RULESETS, 'billion-laughs.yaml'),
    inputs: file('u.csv', csv(H, row('e1'))),
    expect: { refused: { code: 3, message: /billion-laughs\.yaml:15:8 input: must be a mapping/ } },
  },
  {
    name: 'rulesets: a deeply nested flow document (100,000 levels)',
    group: 'rulesets',
    status: 'pass',
    note: 'Was reported as "Maximum call stack size exceeded"; now says the document is nested too deeply (src/ruleset/compile.ts yamlMessage).',
    ruleset: (dir) => write(dir, 'deep.yaml', `version: 1\nname: deep\ninput: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`),
    command: 'validate',
    expect: { refused: { code: 3, message: /deep\.yaml:3:\d+ the document is nested too deeply/ } },
  },
  {
    name: 'rulesets: a deeply nested block document (5,000 levels)',
    group: 'rulesets',
    status: 'pass',
    ruleset: (dir) => write(dir, 'deep2.yaml', `version: 1\nname: deep2\ninput:\n${Array.from({ length: 5000 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')}\n`),
    command: 'validate',
    expect: { refused: { code: 3, message: /deep2\.yaml:\d+:\d+ (the document is nested too deeply|input)/ } },
  },
  {
    name: "rulesets: SQL in a string literal ('); DROP TABLE) stays a quoted string",
    group: 'rulesets',
    status: 'pass',
    ruleset: path.join(RULESETS, 'sql-in-string.yaml'),
    inputs: file('u.csv', csv(VH, ev('e1', '5'), ev('e2', '5', undefined, `x'); DROP TABLE __events; --`), ev('e3', '2', undefined, 'a2'))),
    expect: { accepted: { files: { 'u.csv': counts(3, 2, 1) }, rejects: [['u.csv', 3, 'evil_account']], good: { count: 2, charge: 'units', quantity: '7' } } },
    check: () => {
      const explain = tally(['explain', path.join(RULESETS, 'sql-in-string.yaml'), '--sql']);
      expect(explain.code).toBe(0);
      expect(explain.stdout).toContain(`'x''); DROP TABLE __events; --'`);
    },
  },
  {
    name: 'rulesets: a field name that tries to close its quoted identifier stays one identifier',
    group: 'rulesets',
    status: 'pass',
    ruleset: path.join(RULESETS, 'field-name-injection.yaml'),
    inputs: file('u.csv', csv('event_id,"acc""); DROP TABLE __events; --",ts,units', ev('e1', '5'), ev('e2', '2'))),
    expect: { accepted: { files: { 'u.csv': counts(2, 2) }, good: { count: 2, charge: 'units', quantity: '7' }, lines: [['a1', '2026-10', '7.000', '0.01']] } },
  },
  ...(
    [
      ['read_csv("/etc/passwd") in an expression', 'sql-read-csv', /sql-read-csv\.yaml:15:33 mediation\[0\]\.validate\.rule: unknown function read_csv\(\)/],
      ['a semicolon and a second statement', 'sql-semicolon', /sql-semicolon\.yaml:15:42 mediation\[0\]\.validate\.rule: unexpected ";"/],
      ['a SQL line comment', 'sql-line-comment', /sql-line-comment\.yaml:15:46 mediation\[0\]\.validate\.rule: /],
      ['a SQL block comment', 'sql-block-comment', /sql-block-comment\.yaml:15:44 mediation\[0\]\.validate\.rule: /],
      ['an unknown function', 'unknown-function', /unknown-function\.yaml:15:33 mediation\[0\]\.validate\.rule: unknown function frobnicate\(\)/],
      ['a tier table that overlaps', 'overlapping-tiers', /overlapping-tiers\.yaml:22:18 prices\[0\]\.tiers\[1\]\.up_to: tiers must increase \(50 after 100\)/],
    ] as const
  ).map(([what, name, message]): HostileCase => ({
    name: `rulesets: ${what} is a ruleset error at its line and column`,
    group: 'rulesets',
    status: 'pass',
    ruleset: path.join(RULESETS, `${name}.yaml`),
    command: 'validate',
    expect: { refused: { code: 3, message } },
  })),
  {
    name: 'rulesets: division by zero in a meter value gives null (documented): the events add nothing',
    group: 'rulesets',
    status: 'pass',
    ruleset: path.join(RULESETS, 'divide-by-zero-meter.yaml'),
    inputs: file('u.csv', csv(VH, ev('e1', '5'), ev('e2', '0'))),
    // The rows are accepted (nothing is wrong with them); the meter's value is null, which a sum skips.
    expect: { accepted: { files: { 'u.csv': counts(2, 2) }, good: { count: 2, charge: 'units', quantity: '0' } } },
  },
  {
    name: 'rulesets: division by zero in a rule gives null, and a null rule rejects the row',
    group: 'rulesets',
    status: 'pass',
    ruleset: path.join(RULESETS, 'divide-by-zero-rule.yaml'),
    inputs: file('u.csv', csv(VH, ev('e1', '5'), ev('e2', '0'))),
    expect: { accepted: { files: { 'u.csv': counts(2, 0, 2) }, byReason: { bad_ratio: 2 }, good: { count: 0, charge: 'units', quantity: '0' } } },
  },
  {
    // A reference table must lie under the ruleset's folder or the working directory (src/stages/enrich.ts).
    name: 'rulesets: an enrichment path that escapes its folder is refused as a ruleset error',
    group: 'rulesets',
    status: 'pass',
    ruleset: path.join(RULESETS, 'enrich-escape.yaml'),
    inputs: file('u.csv', csv(VH, ev('e1', '5'))),
    expect: { refused: { code: 3, message: /enrich-escape\.yaml:15:\d+ .*file.*outside the ruleset's folder/ } },
  },

  // ---------------------------------------------------------------- outputs
  {
    name: 'outputs: an --out that is a file is refused and the file is left alone',
    group: 'outputs',
    status: 'pass',
    custom: (dir) => {
      const taken = write(dir, 'taken', 'keep me');
      const r = tally(['run', CLOUD, write(dir, 'u.csv', csv(H, row('e1'))), '--out', taken, '--quiet']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/the output .*taken exists and is not a folder/);
      expect(r.stderr).toMatch(/hint: /);
      expect(r.stderr).not.toMatch(STACK);
      expect(fs.readFileSync(taken, 'utf8')).toBe('keep me');
    },
  },
  {
    name: 'outputs: an --out that cannot be written is refused, nothing is recorded in the state',
    group: 'outputs',
    status: 'pass',
    note: 'As root (these tests run as root here) chmod 555 does not stop writes, so the folder is made unwritable another way: a path under /sys (read-only to mkdir) when that refuses, else under a regular file (ENOTDIR).',
    custom: (dir) => {
      const { out, why } = unwritableOut(dir);
      const state = path.join(dir, 'state.duckdb');
      const input = write(dir, 'u.csv', csv(H, row('e1')));
      const r = tally(['run', CLOUD, input, '--out', out, '--state', state, '--quiet']);
      expect(r.code, why).toBe(1);
      expect(r.stderr).toMatch(/cannot write to the output folder/);
      expect(r.stderr).toContain(out);
      expect(r.stderr).toMatch(/hint: /);
      expect(r.stderr).not.toMatch(STACK);
      // The refused run recorded nothing: the same input then runs as new (not as a repeat) into a good folder.
      const again = tally(['run', CLOUD, input, '--out', path.join(dir, 'good'), '--state', state, '--quiet', '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout).state.repeated).toBe(false);
    },
  },
  {
    name: 'outputs: an --out on a full disk',
    group: 'outputs',
    status: 'skip',
    note: 'Left to the fault battery (test/reliability/faults.test.ts: disk full with a small tmpfs or a size-limited folder).',
  },
];

function manifest(out: string): AccountingManifest & Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as AccountingManifest & Record<string, unknown>;
}

function charges(out: string): Record<string, string>[] {
  return parseCsv(fs.readFileSync(path.join(out, 'charges.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
}

function listOut(out: string): string[] {
  return fs.existsSync(out) ? fs.readdirSync(out) : [];
}

/** An output folder this process cannot create or write, and how it was made. */
function unwritableOut(dir: string): { out: string; why: string } {
  if (process.getuid?.() !== 0) {
    const ro = path.join(dir, 'read-only');
    fs.mkdirSync(ro, { mode: 0o555 });
    fs.chmodSync(ro, 0o555);
    return { out: path.join(ro, 'out'), why: 'a folder under a chmod 555 folder' };
  }
  const sys = `/sys/tally-hostile-${process.pid}`;
  try {
    fs.mkdirSync(sys);
    fs.rmdirSync(sys); // /sys took it: not read-only here, fall through
  } catch {
    return { out: sys, why: 'root: a folder under /sys, which refuses mkdir' };
  }
  return { out: path.join(write(dir, 'a-file', 'x'), 'out'), why: 'root: a folder under a regular file' };
}

/** Runs a case in its own folder; the folder (10 MB inputs among them) is removed when the case passes, kept when not. */
function runCase(c: HostileCase): void {
  const dir = tempDir();
  runIn(c, dir);
  fs.rmSync(dir, { recursive: true, force: true });
}

function runIn(c: HostileCase, dir: string): void {
  if (c.custom) return c.custom(dir);
  const out = path.join(dir, 'out');
  const ruleset = typeof c.ruleset === 'function' ? c.ruleset(dir) : c.ruleset!;
  const args = c.command === 'validate' ? ['validate', ruleset] : ['run', ruleset, ...(c.inputs?.(dir) ?? []), '--out', out, '--quiet', ...(c.args?.(dir) ?? [])];
  const r = tally(args);
  const ctx: Ctx = { dir, out, ...r };
  // Never a stack trace without --debug, whatever the outcome.
  expect(r.stderr, 'a stack trace on standard error').not.toMatch(STACK);
  const e = c.expect!;
  if ('refused' in e) {
    expect(r.code, r.stderr).toBe(e.refused.code);
    expect(r.stderr).toMatch(e.refused.message);
    // What to do: a data failure carries a hint; a ruleset error is its file:line:col and path.
    if (e.refused.code === 1) expect(r.stderr).toMatch(/\n\s*hint: \S/);
    else expect(r.stderr).toMatch(/^\S+\.yaml:\d+:\d+ /m);
    expect(listOut(out), 'a refused run writes nothing').toEqual([]);
  } else {
    const a = e.accepted;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const m = manifest(out);
    const acc = checkRowAccounting(m, fs.readFileSync(path.join(out, 'rejects.csv'), 'utf8'));
    const byFile = Object.fromEntries(m.inputs.map((i) => [path.basename(i.file), { rows_read: i.rows_read, accepted: i.accepted, rejected: i.rejected, duplicates: i.duplicates, filtered: i.filtered }]));
    expect(byFile).toEqual(a.files);
    if (a.byReason) expect((m.counts as { by_reason?: Record<string, number> } | undefined)?.by_reason).toEqual(a.byReason);
    if (a.rejects) {
      expect(acc.rejects.map((x) => [path.basename(x.file), x.line, x.reason])).toEqual(a.rejects.map(([f, l, reason]) => [f, l, reason]));
      a.rejects.forEach(([, , , detail], i) => detail && expect(acc.rejects[i]!.detail).toMatch(detail));
    }
    // No accepted row lost: as many accepted as good rows, and the billed quantity is theirs.
    const accepted = m.inputs.reduce((s, i) => s + i.accepted, 0);
    expect(accepted, 'accepted rows = good rows').toBe(a.good.count);
    const lines = charges(out);
    const billed = lines.filter((l) => l.charge === a.good.charge).reduce((s, l) => s.plus(l.quantity!), new Decimal(0));
    expect(billed.toFixed(), `billed quantity of ${a.good.charge}`).toBe(new Decimal(a.good.quantity).toFixed());
    if (a.lines) expect(lines.map((l) => [l.account_id, l.period, l.quantity, l.unit_price])).toEqual(a.lines);
  }
  c.check?.(ctx);
}

describe('hostile and broken input (issue 7)', () => {
  for (const c of hostileCases) {
    const title = `${c.name}${c.note ? ` — ${c.note.split(/[.:]/)[0]}` : ''}`;
    if (c.status === 'skip') it.skip(title, () => {});
    // HOSTILE_SHOW_FAILS=1 runs the known defects as plain tests, to see that they still fail for the stated reason.
    else if (c.status === 'fails') (process.env.HOSTILE_SHOW_FAILS ? it : it.fails)(title, () => runCase(c));
    else it(title, () => runCase(c));
  }
});

describe('row accounting check', () => {
  const m = { inputs: [{ file: 'x.csv', rows_read: 3, accepted: 1, rejected: 1, duplicates: 1, filtered: 0 }] };
  const rejects = 'file,line,stage,reason,detail\nx.csv,3,input,invalid_units,"units=""a,b"""\n';
  it('passes a consistent manifest and rejects file', () => {
    expect(checkRowAccounting(m, rejects).rejects).toEqual([{ file: 'x.csv', line: 3, stage: 'input', reason: 'invalid_units', detail: 'units="a,b"' }]);
  });
  it('names the file when a count, a reject row or its reason is missing', () => {
    expect(() => checkRowAccounting({ inputs: [{ ...m.inputs[0]!, rows_read: 4 }] }, rejects)).toThrow(/x\.csv: rows_read 4 != accepted 1 \+ rejected 1 \+ duplicates 1 \+ filtered 0/);
    expect(() => checkRowAccounting(m, 'file,line,stage,reason,detail\n')).toThrow(/x\.csv: the manifest counts 1 rejected rows but rejects\.csv lists 0/);
    expect(() => checkRowAccounting(m, 'file,line,stage,reason,detail\nx.csv,3,input,,\n')).toThrow(/x\.csv: rejects\.csv row 2 \(line 3\) has no reason/);
    expect(() => checkRowAccounting(m, 'file,line,stage,reason,detail\nx.csv,,input,r,\n')).toThrow(/x\.csv: rejects\.csv row 2 has no valid line number/);
    expect(() => checkRowAccounting(m, 'file,line,stage,reason,detail\ny.csv,3,input,r,\n')).toThrow(/names the file "y\.csv", which is not among the run's inputs/);
  });
});
