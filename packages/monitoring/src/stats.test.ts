import { describe, expect, it } from 'vitest';
import { binomialTail, median, poissonUpperTail, spread } from './stats';

describe('stats', () => {
  it('medians and spreads ignore one wild value', () => {
    expect(median([1, 2, 3, 100])).toBe(2.5);
    expect(spread([10, 10, 10, 10, 1_000])).toBe(0);
  });

  it('binomial tails match hand-computed values', () => {
    // P(X <= 0 | n = 3, p = 0.5) = 1/8; P(X >= 3) = 1/8; the whole range is 1.
    expect(binomialTail(0, 3, 0.5, 'lower')).toBeCloseTo(0.125, 12);
    expect(binomialTail(3, 3, 0.5, 'upper')).toBeCloseTo(0.125, 12);
    expect(binomialTail(3, 3, 0.5, 'lower')).toBeCloseTo(1, 12);
    expect(binomialTail(7, 10, 0.95, 'lower')).toBeCloseTo(0.0115, 4);
    // P(X >= 1 | lambda = 1) = 1 - e^-1; P(X >= 0) = 1.
    expect(poissonUpperTail(1, 1)).toBeCloseTo(1 - Math.exp(-1), 12);
    expect(poissonUpperTail(0, 3)).toBe(1);
  });
});
