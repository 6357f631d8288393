import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectCheckPassRate, detectOutputSize, detectRetries, type StepAttempt } from './quality';
import { seededRandom, runTimes } from './synthetic';

/** fast-check's seed, fixed: the suite sees the same seeded series on every run. */
const SEED = 20261204;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const scope = { tenantId: 't', chainId: 'c', step: 'review' };

interface Shape {
  passRate: number;
  retryChance: number;
  outputBytes: number;
}

/** 8 days of a step: each run has 1 attempt, or 2 when it "retried"; failed checks per the pass rate. */
function history(seed: number, noise: number, before: Shape, after: Shape = before, changeAt = NOW - 86_400_000) {
  const random = seededRandom(seed ^ 0x5eed);
  const attempts: StepAttempt[] = [];
  for (const { runId, at, jitter } of runTimes({ seed, now: NOW, days: 8, runsPerDay: 48, noise })) {
    const shape = at >= changeAt ? after : before;
    const tries = random() < shape.retryChance ? 2 : 1;
    for (let attempt = 1; attempt <= tries; attempt++) {
      const passed = random() < shape.passRate;
      attempts.push({
        runId,
        at,
        attempt,
        outcome: passed ? 'passed' : 'check_failed',
        outputBytes: Math.round(shape.outputBytes * jitter),
      });
    }
  }
  return attempts;
}

const steady: Shape = { passRate: 0.9, retryChance: 0.1, outputBytes: 4_000 };

describe('quality', () => {
  it('stays quiet on steady noisy history, whatever the seed', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 0, max: 0.4, noNaN: true }), (seed, noise) => {
        const attempts = history(seed, noise, steady);
        expect(detectCheckPassRate(scope, attempts, NOW).state).toBe('normal');
        expect(detectRetries(scope, attempts, NOW).state).toBe('normal');
        expect(detectOutputSize(scope, attempts, NOW).state).toBe('normal');
      }),
      { numRuns: 150, seed: SEED },
    );
  });

  it('fires when the check pass rate falls from 90% to 40%, naming failed runs', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const finding = detectCheckPassRate(scope, history(seed, 0.2, steady, { ...steady, passRate: 0.4 }), NOW);
        expect(finding.state).toBe('firing');
        if (finding.state !== 'firing') return;
        const [evidence] = finding.evidence;
        expect(evidence?.baseline).toBeGreaterThan(0.8);
        expect(evidence?.current).toBeLessThan(evidence?.threshold ?? 0);
        expect(evidence?.sampleRunIds.length).toBeGreaterThan(0);
      }),
      { numRuns: 50, seed: SEED },
    );
  });

  it('fires when most runs need a retry, and when the output size halves', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        expect(detectRetries(scope, history(seed, 0.2, steady, { ...steady, retryChance: 0.9 }), NOW).state).toBe(
          'firing',
        );
        const shrunk = detectOutputSize(scope, history(seed, 0.2, steady, { ...steady, outputBytes: 1_500 }), NOW);
        expect(shrunk.state).toBe('firing');
        if (shrunk.state === 'firing') expect(shrunk.message).toMatch(/shrank/);
      }),
      { numRuns: 50, seed: SEED },
    );
  });

  it('does not judge a step with too few runs', () => {
    const attempts = history(3, 0.1, steady).slice(-5);
    expect(detectCheckPassRate(scope, attempts, NOW).state).toBe('insufficient');
    expect(detectRetries(scope, attempts, NOW).state).toBe('insufficient');
    expect(detectOutputSize(scope, attempts, NOW).state).toBe('insufficient');
  });
});
