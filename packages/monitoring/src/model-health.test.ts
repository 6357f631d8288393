import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectModelErrors, detectModelLatency, type ModelCall } from './model-health';
import { seededRandom, runTimes } from './synthetic';

/** fast-check's seed, fixed: the suite sees the same seeded series on every run. */
const SEED = 20261204;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const scope = { model: 'gpt-x' };

function calls(seed: number, noise: number, errorRate: number, later?: { latency: number; errorRate: number }) {
  const random = seededRandom(seed ^ 0xbad);
  return runTimes({ seed, now: NOW, days: 8, runsPerDay: 24 * 40, noise }).map(({ runId, at, jitter }): ModelCall => {
    const changed = later && at >= NOW - 3_600_000;
    const errors = changed ? later.errorRate : errorRate;
    const roll = random();
    const outcome = roll < errors / 2 ? 'timeout' : roll < errors ? 'error' : 'ok';
    return { runId, at, durationMs: Math.round(20_000 * jitter * (changed ? later.latency : 1)), outcome };
  });
}

describe('model health', () => {
  it('stays quiet for a steady model with noisy latency and a few errors', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.double({ min: 0, max: 0.45, noNaN: true }),
        fc.double({ min: 0, max: 0.1 }),
        (seed, noise, errors) => {
          const history = calls(seed, noise, errors);
          expect(detectModelLatency(scope, history, NOW).state).toBe('normal');
          expect(detectModelErrors(scope, history, NOW).state).toBe('normal');
        },
      ),
      { numRuns: 100, seed: SEED },
    );
  });

  it('fires when latency doubles or errors jump in the last hour', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const slow = detectModelLatency(scope, calls(seed, 0.3, 0.02, { latency: 2.6, errorRate: 0.02 }), NOW);
        expect(slow.state).toBe('firing');
        if (slow.state === 'firing') expect(slow.evidence[0]?.baseline).toBeGreaterThan(15_000);
        const failing = detectModelErrors(scope, calls(seed, 0.3, 0.02, { latency: 1, errorRate: 0.6 }), NOW);
        expect(failing.state).toBe('firing');
        if (failing.state === 'firing') expect(failing.evidence[0]?.sampleRunIds.length).toBeGreaterThan(0);
      }),
      { numRuns: 50, seed: SEED },
    );
  });
});
