import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, monthPeriod, periodShare, previousMonth, prorate } from './proration';

const november = monthPeriod('2026-11'); // 30 days
const at = (iso: string) => Date.parse(iso);

describe('proration of a monthly fee', () => {
  it('names calendar months in UTC', () => {
    expect(november).toEqual({ startMs: at('2026-11-01T00:00:00Z'), endMs: at('2026-12-01T00:00:00Z') });
    expect(monthPeriod('2028-02').endMs - monthPeriod('2028-02').startMs).toBe(29 * DAY_MS);
    expect(previousMonth(at('2027-01-01T00:00:00Z'))).toBe('2026-12');
    expect(() => monthPeriod('2026-13')).toThrow(RangeError);
  });

  it('charges a whole month exactly the fee, on either basis', () => {
    for (const basis of ['second', 'day'] as const) {
      expect(prorate(2_900n, periodShare({ fromMs: 0, toMs: Number.MAX_SAFE_INTEGER }, november, basis))).toBe(2_900n);
    }
  });

  it('splits an upgrade at 10:00 on the 16th by the second', () => {
    const change = at('2026-11-16T10:00:00Z');
    const before = periodShare({ fromMs: november.startMs, toMs: change }, november);
    const after = periodShare({ fromMs: change, toMs: november.endMs }, november);
    // 15 days 10 hours of 30 days at $29, then the rest at $99.
    expect(prorate(2_900n, before)).toBe(1_490n); // 2900 x 370 h / 720 h = 1490.28
    expect(prorate(9_900n, after)).toBe(4_813n); // 9900 x 350 / 720 = 4812.5, half away from zero
  });

  it('splits a downgrade by the day, the change day going to the new plan', () => {
    const change = at('2026-11-16T10:00:00Z');
    const before = periodShare({ fromMs: november.startMs, toMs: change }, november, 'day');
    const after = periodShare({ fromMs: change, toMs: november.endMs }, november, 'day');
    expect(before).toEqual({ numerator: 15n, denominator: 30n });
    expect(after).toEqual({ numerator: 15n, denominator: 30n });
    expect(prorate(9_900n, before) + prorate(2_900n, after)).toBe(4_950n + 1_450n);
  });

  it('gives nothing to a span outside the period', () => {
    expect(periodShare({ fromMs: november.endMs, toMs: november.endMs + DAY_MS }, november).numerator).toBe(0n);
    expect(periodShare({ fromMs: 0, toMs: november.startMs }, november, 'day').numerator).toBe(0n);
  });

  it('shares of back-to-back spans add up to the whole period (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: november.startMs + 1, max: november.endMs - 1 }), { maxLength: 6 }),
        fc.constantFrom('second' as const, 'day' as const),
        (cuts, basis) => {
          const bounds = [november.startMs, ...cuts.sort((a, b) => a - b), november.endMs];
          let sum = 0n;
          let denominator = 0n;
          for (let i = 0; i + 1 < bounds.length; i++) {
            const share = periodShare({ fromMs: bounds[i] ?? 0, toMs: bounds[i + 1] ?? 0 }, november, basis);
            sum += share.numerator;
            denominator = share.denominator;
          }
          expect(sum).toBe(denominator);
        },
      ),
    );
  });

  it('a plan change moves at most one minor unit per span against the exact fee (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: november.startMs + 1, max: november.endMs - 1 }),
        fc.bigInt({ min: 0n, max: 10_000_000n }),
        (change, fee) => {
          const a = prorate(fee, periodShare({ fromMs: november.startMs, toMs: change }, november));
          const b = prorate(fee, periodShare({ fromMs: change, toMs: november.endMs }, november));
          const diff = a + b - fee;
          expect(diff >= -1n && diff <= 1n).toBe(true);
        },
      ),
    );
  });
});
