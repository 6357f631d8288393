import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPriceCurrency, type ModelPrice, PriceIndex, priceInForce, priceProblems } from './prices';

const at = (iso: string) => new Date(iso);
const price = (id: string, from: string, input = 1n): ModelPrice => ({
  id,
  model: 'm-small',
  currency: 'USD',
  inputMicrosPerMillion: input,
  outputMicrosPerMillion: 0n,
  cachedInputMicrosPerMillion: 0n,
  effectiveFrom: at(from),
});

describe('price in force', () => {
  const versions = [
    price('b', '2026-11-15T00:00:00Z'),
    price('a', '2026-11-01T00:00:00Z'),
    price('c', '2026-12-01T00:00:00Z'),
  ];

  it('is the latest version effective at or before the instant, whatever the order given', () => {
    expect(priceInForce(versions, at('2026-10-31T23:59:59.999Z'))).toBeNull();
    expect(priceInForce(versions, at('2026-11-01T00:00:00Z'))?.id).toBe('a');
    expect(priceInForce(versions, at('2026-11-14T23:59:59.999Z'))?.id).toBe('a');
    expect(priceInForce(versions, at('2026-11-15T00:00:00Z'))?.id).toBe('b');
    expect(priceInForce(versions, at('2027-06-01T00:00:00Z'))?.id).toBe('c');
  });

  it('the index answers what a scan answers, for any versions and instants', () => {
    const instant = fc.integer({ min: 0, max: 10_000 });
    fc.assert(
      fc.property(fc.uniqueArray(instant, { maxLength: 12 }), fc.array(instant, { maxLength: 30 }), (froms, probes) => {
        const list = froms.map((ms, i) => ({ ...price(`v${i}`, '2026-01-01T00:00:00Z'), effectiveFrom: new Date(ms) }));
        const index = new PriceIndex(list, (p) => p.model);
        for (const ms of probes) {
          expect(index.at('m-small', new Date(ms))?.id ?? null).toBe(priceInForce(list, new Date(ms))?.id ?? null);
        }
        expect(index.at('other', new Date(5_000))).toBeNull();
      }),
    );
  });
});

describe('price problems', () => {
  const ok = {
    currency: 'USD',
    amounts: { inputMicrosPerMillion: 150_000n },
    effectiveFrom: at('2026-11-01T00:00:00Z'),
  };

  it('accepts a known currency and non-negative amounts', () => {
    expect(priceProblems(ok)).toEqual([]);
    expect(priceProblems({ ...ok, amounts: { x: 0n } })).toEqual([]);
  });

  it('refuses an unknown currency, a negative or absurd amount, an invalid instant, each by path', () => {
    expect(isPriceCurrency('usd')).toBe(false);
    expect(priceProblems({ ...ok, currency: 'XYZ' }).map((p) => p.path)).toEqual(['currency']);
    expect(priceProblems({ ...ok, amounts: { outputMicrosPerMillion: -1n } }).map((p) => p.path)).toEqual([
      'outputMicrosPerMillion',
    ]);
    expect(priceProblems({ ...ok, amounts: { a: 10n ** 9n + 1n } }).map((p) => p.path)).toEqual(['a']);
    expect(priceProblems({ ...ok, effectiveFrom: new Date(Number.NaN) }).map((p) => p.path)).toEqual(['effectiveFrom']);
  });
});
