import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { picosToMicros, picosToMinor } from './money';
import { PriceIndex, type ModelPrice } from './prices';
import { chargedMicros, differsTooMuch, rateUsage, tokenCostPicos } from './rate-usage';

const november: ModelPrice = {
  id: 'nov',
  model: 'm-small',
  currency: 'USD',
  inputMicrosPerMillion: 150_000n, // $0.15 per million input tokens
  outputMicrosPerMillion: 600_000n, // $0.60 per million output tokens
  cachedInputMicrosPerMillion: 75_000n,
  effectiveFrom: new Date('2026-11-01T00:00:00Z'),
};
const midNovember: ModelPrice = {
  ...november,
  id: 'mid',
  inputMicrosPerMillion: 300_000n,
  effectiveFrom: new Date('2026-11-15T12:00:00Z'),
};

describe('rating a usage', () => {
  it('charges tokens x micros-per-million exactly, in picos', () => {
    // 1,200 in (200 of them cached), 300 out: 1000 x 0.15 + 200 x 0.075 + 300 x 0.6 micros = 345 micros.
    const rated = rateUsage({ tokensIn: 1_200, tokensOut: 300, tokensCachedIn: 200 }, november);
    expect(rated).toEqual({ rating: 'priced', chargedPicos: 345_000_000n, modelPriceId: 'nov', currency: 'USD' });
    expect(chargedMicros(rated)).toBe(345n);
  });

  it('never charges more cached tokens than input tokens', () => {
    expect(tokenCostPicos({ tokensIn: 10, tokensOut: 0, tokensCachedIn: 1_000 }, november)).toBe(10n * 75_000n);
  });

  it('is none without tokens and unpriced without a price', () => {
    expect(rateUsage({ tokensIn: 0, tokensOut: 0, tokensCachedIn: 0 }, november).rating).toBe('none');
    expect(rateUsage({ tokensIn: 1, tokensOut: 0, tokensCachedIn: 0 }, null)).toEqual({
      rating: 'unpriced',
      chargedPicos: null,
      modelPriceId: null,
    });
  });

  it('a price change mid-month: each step at the price in force when it finished', () => {
    const index = new PriceIndex([midNovember, november], (p) => p.model);
    const usage = { tokensIn: 1_000_000, tokensOut: 0, tokensCachedIn: 0 };
    const early = rateUsage(usage, index.at('m-small', new Date('2026-11-15T11:59:59.999Z')));
    const late = rateUsage(usage, index.at('m-small', new Date('2026-11-15T12:00:00.000Z')));
    expect([early.modelPriceId, chargedMicros(early)]).toEqual(['nov', 150_000n]);
    expect([late.modelPriceId, chargedMicros(late)]).toEqual(['mid', 300_000n]);
    // A step that started before the change and finished after it is rated whole at the new price.
    const spanning = rateUsage(usage, index.at('m-small', new Date('2026-11-15T12:30:00Z')));
    expect(spanning.modelPriceId).toBe('mid');
    const month = [early, late, spanning].reduce((sum, r) => sum + (r.chargedPicos ?? 0n), 0n);
    expect(picosToMinor(month, 'USD')).toBe(75n); // $0.15 + $0.30 + $0.30
  });

  it('unpriced then priced: the same usage is unpriced until a version covering its instant exists', () => {
    const usage = { tokensIn: 2_000, tokensOut: 1_000, tokensCachedIn: 0 };
    const finishedAt = new Date('2026-09-03T00:00:00Z');
    const october = { ...november, id: 'oct', effectiveFrom: new Date('2026-10-01T00:00:00Z') };
    expect(rateUsage(usage, new PriceIndex([october], (p) => p.model).at('m-small', finishedAt)).rating).toBe(
      'unpriced',
    );
    const september = { ...november, id: 'sep', effectiveFrom: new Date('2026-09-01T00:00:00Z') };
    const later = rateUsage(usage, new PriceIndex([october, september], (p) => p.model).at('m-small', finishedAt));
    expect(later).toMatchObject({
      rating: 'priced',
      modelPriceId: 'sep',
      chargedPicos: 2_000n * 150_000n + 1_000n * 600_000n,
    });
  });

  it('many tiny costs add up to what their sum costs, not to zero', () => {
    // One token at $0.15 per million is 0.15 micros: each rounds to 0 micros alone.
    const one = rateUsage({ tokensIn: 1, tokensOut: 0, tokensCachedIn: 0 }, november);
    expect(chargedMicros(one)).toBe(0n);
    let sum = 0n;
    for (let i = 0; i < 100_000; i++) sum += one.chargedPicos ?? 0n;
    expect(picosToMicros(sum)).toBe(15_000n);
    expect(picosToMinor(sum, 'USD')).toBe(2n); // 1.5 cents, rounded once, half away from zero
  });

  it('summing exact charges then rounding is within half a unit of the exact total (property)', () => {
    const usage = fc.record({
      tokensIn: fc.integer({ min: 0, max: 1_000_000_000 }),
      tokensOut: fc.integer({ min: 0, max: 1_000_000_000 }),
      tokensCachedIn: fc.integer({ min: 0, max: 1_000_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(usage, { maxLength: 50 }), (usages) => {
        const picos = usages.map((u) => tokenCostPicos(u, november));
        const exact = picos.reduce((a, b) => a + b, 0n);
        const micros = picosToMicros(exact);
        const diff = micros * 1_000_000n - exact;
        expect(diff <= 500_000n && diff >= -500_000n).toBe(true);
        // The charge is monotone in every token count and never negative.
        for (const [i, u] of usages.entries()) {
          expect((picos[i] as bigint) >= 0n).toBe(true);
          expect(tokenCostPicos({ ...u, tokensOut: u.tokensOut + 1 }, november)).toBeGreaterThan(picos[i] as bigint);
        }
      }),
    );
  });
});

describe('reported vs charged', () => {
  it('flags a difference over both 10% and $0.01', () => {
    const charged = 1_000_000n * 1_000_000n; // $1.00 in picos
    expect(differsTooMuch(1_000_000n, charged)).toBe(false);
    expect(differsTooMuch(1_100_000n, charged)).toBe(false); // exactly 10%: not over
    expect(differsTooMuch(1_120_000n, charged)).toBe(true);
    expect(differsTooMuch(0n, charged)).toBe(true); // the box said nothing it cost
    // 50% apart, but only half a cent: not flagged.
    expect(differsTooMuch(10_000n, 5_000n * 1_000_000n)).toBe(false);
    expect(differsTooMuch(30_000n, 5_000n * 1_000_000n)).toBe(true);
  });

  it('is symmetric (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), (a, b) => {
        expect(differsTooMuch(a, b * 1_000_000n)).toBe(differsTooMuch(b, a * 1_000_000n));
      }),
    );
  });
});
