/** Bad input through the real CLI: rows are rejected with reasons, unreadable files fail the run and write nothing. */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tally, tempDir, write } from '../helpers/cli.js';

const S1 = 'rulesets/bench/s1.yaml';
const HEADER = 'event_id,account_id,ts,metric,region,quantity';
const GOOD = (id: string, q = '5') => `${id},a1,2026-10-01 10:00:00,api_call,us-east,${q}`;

function run(dir: string, input: string, extra: string[] = []) {
  return tally(['run', S1, input, '--out', path.join(dir, 'out'), '--quiet', ...extra]);
}

describe('malformed rows are rejects, never crashes or losses', () => {
  it('handles a BOM, CRLF line ends, wrong column counts, over-precise and impossible values', () => {
    const dir = tempDir();
    const text = `\uFEFF${HEADER}\r\n${GOOD('e1')}\r\ne2,a1,2026-10-01 10:00:00,api_call,us-east\r\n${GOOD('e3')},extra\r\n${GOOD('e4', '1.2345')}\r\ne5,a1,2026-02-30 10:00:00,api_call,us-east,1\r\ne6,,2026-10-01 10:00:00,api_call,us-east,1\r\ne7,a1,2026-10-01 10:00:00,gpu,us-east,1\r\n${GOOD('e8', '2')}\r\n`;
    const r = run(dir, write(dir, 'usage.csv', text));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'out/charges.csv'), 'utf8')).toBe('account_id,period,metric,dimension,quantity,amount\na1,2026-10,api_call,all,7.000,0.07\n');
    const rejects = fs.readFileSync(path.join(dir, 'out/rejects.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').slice(1, 4).join(' '));
    expect(rejects).toEqual([
      '3 read malformed_row',
      '4 read malformed_row',
      '5 quantity_number invalid_quantity',
      '6 time invalid_timestamp',
      '7 account_present missing_account',
      '8 known_metric unknown_metric',
    ]);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'out/manifest.json'), 'utf8'));
    expect(m.inputs[0]).toMatchObject({ rows_read: 8, accepted: 2, rejected: 6, duplicates: 0, filtered: 0 });
  });

  it('rejects the record holding an unclosed quote', () => {
    const dir = tempDir();
    const r = run(dir, write(dir, 'u.csv', `${HEADER}\n${GOOD('e1')}\ne2,"a1,2026-10-01 10:00:00,api_call,us-east,5\n`));
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'out/rejects.csv'), 'utf8')).toMatch(/u\.csv,3,read,malformed_row,unquoted_value/);
  });
});

describe('unreadable input fails the run and writes nothing', () => {
  const cases: [string, (dir: string) => string, RegExp][] = [
    ['a missing file', (dir) => path.join(dir, 'nothere.csv'), /input file not found/],
    ['a truncated gzip', (dir) => write(dir, 't.csv.gz', zlib.gzipSync(`${HEADER}\n${Array.from({ length: 5000 }, (_, i) => GOOD(`e${i}`)).join('\n')}\n`).subarray(0, 2000) as unknown as string), /not a complete gzip file/],
    ['a file that is not Parquet', (dir) => write(dir, 'x.parquet', 'not parquet at all'), /not a Parquet file/],
    ['a file without the declared columns', (dir) => write(dir, 'c.csv', 'a,b\n1,2\n'), /has no column "event_id"/],
    ['an empty file', (dir) => write(dir, 'e.csv', ''), /empty|cannot read/],
  ];
  for (const [name, make, message] of cases) {
    it(name, () => {
      const dir = tempDir();
      const r = run(dir, make(dir));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --debug
      expect(fs.existsSync(path.join(dir, 'out')) ? fs.readdirSync(path.join(dir, 'out')) : []).toEqual([]);
    });
  }

  it('--max-reject-rate fails the run when too many rows are bad', () => {
    const dir = tempDir();
    const input = write(dir, 'u.csv', `${HEADER}\n${GOOD('e1')}\n${GOOD('e2', 'abc')}\n`);
    const r = run(dir, input, ['--max-reject-rate', '10']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/1 of 2 rows were rejected \(50\.00 %\)/);
    expect(fs.readdirSync(path.join(dir, 'out'))).toEqual([]);
    expect(run(dir, input, ['--max-reject-rate', '60']).code).toBe(0);
  });
});

describe('output folder', () => {
  it('refuses an --out that is a file, and one that cannot be created, with a clear message', () => {
    const dir = tempDir();
    const input = write(dir, 'u.csv', `${HEADER}\n${GOOD('e1')}\n`);
    const file = write(dir, 'taken', 'x');
    const a = tally(['run', S1, input, '--out', file, '-q']);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/exists and is not a folder/);
    const b = tally(['run', S1, input, '--out', '/proc/tally-cannot-be-here', '-q']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/cannot write to the output folder/);
  });

  it('a file with a header and no rows gives empty charges', () => {
    const dir = tempDir();
    const r = run(dir, write(dir, 'e.csv', `${HEADER}\n`));
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'out/charges.csv'), 'utf8')).toBe('account_id,period,metric,dimension,quantity,amount\n');
  });
});

describe('command line', () => {
  it('exits 2 on wrong usage and 3 on ruleset errors', () => {
    expect(tally(['run']).code).toBe(2);
    expect(tally(['frobnicate']).code).toBe(2);
    const dir = tempDir();
    const bad = write(dir, 'bad.yaml', 'version: 1\nname: x\n');
    const r = tally(['validate', bad]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/bad\.yaml:1:1 .*missing required key "input"/);
  });

  it('reads standard input and writes JSONL or Parquet charges', () => {
    const dir = tempDir();
    const r = tally(['run', S1, '-', '--out', path.join(dir, 'out'), '--format', 'jsonl', '--quiet'], { input: `${HEADER}\n${GOOD('e1')}\n` });
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'out/charges.jsonl'), 'utf8'))).toEqual({ account_id: 'a1', period: '2026-10', metric: 'api_call', dimension: 'all', quantity: '5.000', amount: '0.05' });
  });

  it('explains the plan, with its SQL on request', () => {
    const r = tally(['explain', S1, '--sql']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/redeliveries: dedupe on event_id/);
    expect(r.stdout).toMatch(/charge egress_gb on egress: volume, modifiers region_uplift/);
    expect(r.stdout).toMatch(/CREATE OR REPLACE TEMP VIEW __events AS/);
    expect(r.stdout).toMatch(/UPDATE __stage_5 SET __outcome/);
  });
});
