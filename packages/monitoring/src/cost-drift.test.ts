import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CostRun, detectDayCostDrift, detectRunCostDrift } from './cost-drift';
import { DAY_MS } from './stats';
import { runTimes } from './synthetic';

/** fast-check's seed, fixed: the suite sees the same seeded series on every run. */
const SEED = 20261204;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const scope = { tenantId: 't', chainId: 'c' };

function history(seed: number, noise: number, changeAt = Number.POSITIVE_INFINITY, factor = 1): CostRun[] {
  return runTimes({ seed, now: NOW, days: 9, runsPerDay: 12, noise }).map(({ runId, at, jitter }) => {
    const scale = at >= changeAt ? factor : 1;
    return { runId, at, tokens: Math.round(10_000 * jitter * scale), costMicros: Math.round(2_000 * jitter * scale) };
  });
}

describe('cost drift', () => {
  it('stays quiet on steady history with up to ±40% noise, whatever the seed', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 0, max: 0.4, noNaN: true }), (seed, noise) => {
        const runs = history(seed, noise);
        expect(detectRunCostDrift(scope, runs, NOW).state).toBe('normal');
        expect(detectDayCostDrift(scope, runs, NOW).state).toBe('normal');
      }),
      { numRuns: 200, seed: SEED },
    );
  });

  it('fires on runs that use 3x their tokens after a change, with the evidence', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const runs = history(seed, 0.2, NOW - 6 * 3_600_000, 3);
        const run = detectRunCostDrift(scope, runs, NOW);
        // A quarter of a day at 3x is not a 2x day; the whole day is.
        expect(detectDayCostDrift(scope, runs, NOW).state).toBe('normal');
        expect(detectDayCostDrift(scope, history(seed, 0.2, NOW - DAY_MS, 3), NOW).state).toBe('firing');
        expect(run.state).toBe('firing');
        if (run.state !== 'firing') return;
        const tokens = run.evidence.find((e) => e.metric === 'tokens per run');
        expect(tokens?.baseline).toBeGreaterThan(7_000);
        expect(tokens?.baseline).toBeLessThan(13_000);
        expect(tokens?.current).toBeGreaterThan(tokens?.threshold ?? Number.POSITIVE_INFINITY);
        const latest = runs.reduce((a, b) => (a.at >= b.at ? a : b));
        expect(tokens?.sampleRunIds[0]).toBe(latest.runId);
        expect(Date.parse(tokens?.currentWindow.from ?? '')).toBe(NOW - DAY_MS);
        expect(tokens?.baselineSamples).toBeGreaterThanOrEqual(10);
      }),
      { numRuns: 50, seed: SEED },
    );
  });

  it('returns to normal once the newest run is back in line (an alert would resolve)', () => {
    const runs = history(7, 0.2, NOW - 3_600_000, 3);
    expect(detectRunCostDrift(scope, runs, NOW).state).toBe('firing');
    runs.push({ runId: 'back', at: NOW, tokens: 10_000, costMicros: 2_000 });
    expect(detectRunCostDrift(scope, runs, NOW).state).toBe('normal');
  });

  it('does not judge without a baseline', () => {
    const runs = history(1, 0.1).filter((run) => run.at > NOW - DAY_MS);
    expect(detectRunCostDrift(scope, runs, NOW).state).toBe('insufficient');
    expect(detectDayCostDrift(scope, runs, NOW).state).toBe('insufficient');
  });
});
