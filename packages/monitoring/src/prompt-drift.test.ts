import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectPromptDrift, type VersionRun } from './prompt-drift';
import { seededRandom, runTimes } from './synthetic';

/** fast-check's seed, fixed: the suite sees the same seeded series on every run. */
const SEED = 20261204;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const scope = { tenantId: 't', chainId: 'c', chainVersionId: 'v' };

function runs(seed: number, noise: number, later?: { tokens: number; outputs: number; passRate: number }) {
  const random = seededRandom(seed ^ 0xd1f7);
  return runTimes({ seed, now: NOW, days: 8, runsPerDay: 20, noise }).map(({ runId, at, jitter }): VersionRun => {
    const changed = later && at >= NOW - 86_400_000;
    return {
      runId,
      at,
      tokens: Math.round(5_000 * jitter * (changed ? later.tokens : 1)),
      outputBytes: Math.round(2_000 * jitter * (changed ? later.outputs : 1)),
      checksPassed: random() < (changed ? later.passRate : 0.95),
    };
  });
}

describe('prompt drift', () => {
  it('stays quiet while the same version behaves as usual', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 0, max: 0.4, noNaN: true }), (seed, noise) => {
        expect(detectPromptDrift(scope, runs(seed, noise), NOW).state).toBe('normal');
      }),
      { numRuns: 150, seed: SEED },
    );
  });

  it('fires when tokens, outputs or checks of an unchanged version move beyond their spread', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const tokens = detectPromptDrift(scope, runs(seed, 0.2, { tokens: 2.2, outputs: 1, passRate: 0.95 }), NOW);
        expect(tokens.state).toBe('firing');
        if (tokens.state === 'firing')
          expect(tokens.evidence.map((e) => e.metric)).toEqual(['tokens per run (median)']);
        const checks = detectPromptDrift(scope, runs(seed, 0.2, { tokens: 1, outputs: 1, passRate: 0.3 }), NOW);
        expect(checks.state).toBe('firing');
        const outputs = detectPromptDrift(scope, runs(seed, 0.2, { tokens: 1, outputs: 0.25, passRate: 0.95 }), NOW);
        expect(outputs.state).toBe('firing');
      }),
      { numRuns: 50, seed: SEED },
    );
  });

  it('waits for a new version to have its own baseline', () => {
    expect(
      detectPromptDrift(
        scope,
        runs(1, 0.1).filter((r) => r.at > NOW - 86_400_000),
        NOW,
      ).state,
    ).toBe('insufficient');
  });
});
