import { describe, expect, it } from 'vitest';
import { planBatches, stopReason } from './plan-batches';

describe('planBatches', () => {
  const ids = Array.from({ length: 8 }, (_, i) => `b${i}`);

  it('puts the canary first, then batches of the set size, in order', () => {
    expect(planBatches(ids, 1, 3).map((p) => p.batch)).toEqual([0, 1, 1, 1, 2, 2, 2, 3]);
    expect(planBatches(ids, 2, 8).map((p) => p.batch)).toEqual([0, 0, 1, 1, 1, 1, 1, 1]);
    expect(planBatches(ids, 0, 4).map((p) => p.batch)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    expect(planBatches(ids.slice(0, 1), 5, 2)).toEqual([{ boxId: 'b0', position: 0, batch: 0 }]);
    expect(planBatches([], 1, 2)).toEqual([]);
  });

  it('covers every box exactly once, batches never larger than asked', () => {
    for (let n = 0; n < 30; n++) {
      for (const canary of [0, 1, 3]) {
        for (const size of [1, 2, 5]) {
          const plan = planBatches(
            Array.from({ length: n }, (_, i) => `b${i}`),
            canary,
            size,
          );
          expect(plan.map((p) => p.position)).toEqual(Array.from({ length: n }, (_, i) => i));
          const sizes = new Map<number, number>();
          for (const p of plan) sizes.set(p.batch, (sizes.get(p.batch) ?? 0) + 1);
          for (const [batch, count] of sizes) expect(count).toBeLessThanOrEqual(batch === 0 ? canary : size);
        }
      }
    }
  });

  it('refuses sizes that make no sense', () => {
    expect(() => planBatches(ids, -1, 2)).toThrow(RangeError);
    expect(() => planBatches(ids, 1, 0)).toThrow(RangeError);
  });
});

describe('stopReason', () => {
  it('stops on any canary failure, and at the threshold after it', () => {
    expect(stopReason({ canaryFailed: 1, failedAfterCanary: 0 }, 5)).toMatch(/canary/);
    expect(stopReason({ canaryFailed: 0, failedAfterCanary: 1 }, 2)).toBeNull();
    expect(stopReason({ canaryFailed: 0, failedAfterCanary: 2 }, 2)).toMatch(/threshold is 2/);
  });
});
