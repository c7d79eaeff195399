import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from '../../src/expr/suggest.js';

describe('suggest', () => {
  const fields = ['amount', 'account_id', 'region', 'event_time', 'name'];

  it.each([
    ['amout', 'amount'],
    ['amuont', 'amount'], // a transposition is one edit
    ['regoin', 'region'],
    ['Region', 'region'], // case only
    ['acount_id', 'account_id'],
    ['nme', 'name'],
    ['event_tme', 'event_time'],
  ])('%s → %s', (word, expected) => {
    expect(suggest(word, fields)).toBe(expected);
  });

  it.each([['x'], ['quantity'], ['zzz'], ['amount']])('nothing close for %s', (word) => {
    expect(suggest(word, fields)).toBeUndefined();
  });

  it('prefers the closest candidate, then the first', () => {
    expect(suggest('abd', ['abc', 'abd2', 'xbd'])).toBe('abc');
  });

  it('takes any iterable of candidates', () => {
    expect(suggest('regoin', new Map([['region', 1]]).keys())).toBe('region');
  });

  it('measures optimal string alignment distance', () => {
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('same', 'same')).toBe(0);
  });
});
