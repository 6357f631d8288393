import { describe, expect, it } from 'vitest';
import { microsPerMinor, microsToMinor, picosToMicros, picosToMinor, roundDiv, withMarkup } from './money';

describe('the one rounding rule', () => {
  it('rounds half away from zero', () => {
    expect(roundDiv(5n, 2n)).toBe(3n);
    expect(roundDiv(-5n, 2n)).toBe(-3n);
    expect(roundDiv(4n, 3n)).toBe(1n);
    expect(roundDiv(5n, 3n)).toBe(2n);
    expect(roundDiv(7n, -2n)).toBe(-4n);
    expect(() => roundDiv(1n, 0n)).toThrow(RangeError);
  });

  it('agrees with exact arithmetic on every small fraction', () => {
    for (let n = -300n; n <= 300n; n++) {
      for (let d = 1n; d <= 40n; d++) {
        const twice = 2n * (n < 0n ? -n : n);
        const floor = (twice + d) / (2n * d);
        expect(roundDiv(n, d)).toBe(n < 0n ? -floor : floor);
        expect(roundDiv(n, -d)).toBe(-roundDiv(n, d));
      }
    }
  });

  it('converts between units once', () => {
    expect(microsPerMinor('USD')).toBe(10_000n);
    expect(microsPerMinor('JPY')).toBe(1_000_000n);
    expect(microsToMinor(15_000n, 'usd')).toBe(2n);
    expect(microsToMinor(14_999n, 'USD')).toBe(1n);
    expect(picosToMicros(1_500_000n)).toBe(2n);
    // 10 million tokens at $0.15 per million: each costs 0.15 micros, together 1.5 dollars = 150 cents.
    const picosEach = 150_000n; // 1 token x 150,000 micros per million tokens
    expect(picosToMinor(picosEach * 10_000_000n, 'USD')).toBe(150n);
    expect(withMarkup(1_000_000n, 1500)).toBe(1_150_000n);
    expect(withMarkup(3n, 5000)).toBe(5n); // 4.5 rounds away from zero
  });
});
