import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvRecord } from '../../src/io/sinks/csv-record.js';

const field = fc.oneof(
  fc.string(),
  fc.constantFrom('', ' ', ',', '"', '""', 'a,b', 'say "hi"', 'line\nbreak', 'cr\rlf', '\r\n', ' lead', 'trail ', '#', '=1+1'),
  fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é', '\t') }),
);

describe('csvRecord', () => {
  it('writes what csv-stringify writes, and reads back to the same fields', () => {
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 8 }), (fields) => {
        const text = csvRecord(fields);
        expect(text).toBe(stringify([fields]));
        expect(parse(text, { relax_column_count: true })).toEqual([fields]);
      }),
      { numRuns: 2000 },
    );
  });

  it('quotes only what needs it', () => {
    expect(csvRecord(['acme', '12.50', ''])).toBe('acme,12.50,\n');
    expect(csvRecord(['a,b', 'say "hi"', 'x\ny'])).toBe('"a,b","say ""hi""","x\ny"\n');
  });
});
