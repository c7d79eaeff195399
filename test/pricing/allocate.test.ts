import { describe, expect, it } from 'vitest';
import { allocateCumulative } from '../../src/pricing/allocate.js';
import { d } from './helpers.js';

const allocate = (total: string, weights: string[], scale: number) =>
  allocateCumulative(d(total), weights.map(d), scale).map((x) => x.toFixed(scale));

describe('allocateCumulative', () => {
  it('floors the running share and gives the remainder to the later events', () => {
    expect(allocate('10.00', ['1', '1', '1'], 2)).toEqual(['3.33', '3.33', '3.34']);
  });

  it('follows the weights', () => {
    // running 1/4, 3/4, 4/4 of 10 → 2.50, 7.50, 10.00
    expect(allocate('10.00', ['1', '2', '1'], 2)).toEqual(['2.50', '5.00', '2.50']);
  });

  it('gives a weight-0 event nothing when others have weight', () => {
    expect(allocate('5.00', ['0', '3', '0', '2'], 2)).toEqual(['0.00', '3.00', '0.00', '2.00']);
  });

  it('weighs every event 1 when all weights are 0', () => {
    expect(allocate('1.00', ['0', '0', '0'], 2)).toEqual(['0.33', '0.33', '0.34']);
  });

  it('floors toward minus infinity for negative totals and still sums exactly', () => {
    // floor(−3.333) = −3.34, floor(−6.666) = −6.67 → −3.34, −3.33, −3.33
    expect(allocate('-10.00', ['1', '1', '1'], 2)).toEqual(['-3.34', '-3.33', '-3.33']);
  });

  it('works at scale 0 and with decimal weights', () => {
    expect(allocate('7', ['0.5', '0.25', '0.25'], 0)).toEqual(['3', '2', '2']);
  });

  it('returns nothing for no events', () => {
    expect(allocateCumulative(d('1'), [], 2)).toEqual([]);
  });
});
