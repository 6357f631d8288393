import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectQueueBacklog, detectQuietBox, detectStalledSteps, detectWatchdogKills } from './box-runtime';
import { seededRandom, runTimes } from './synthetic';

/** fast-check's seed, fixed: the suite sees the same seeded series on every run. */
const SEED = 20261204;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const box = { tenantId: 't', boxId: 'b' };

describe('box and runtime', () => {
  it('watchdog kills: quiet at a steady trickle, fires on a burst', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const random = seededRandom(seed);
        // About one kill in 20 of 30 runs an hour, i.e. ~1.5 an hour.
        const kills = runTimes({ seed, now: NOW, days: 8, runsPerDay: 720, noise: 0 }).filter(() => random() < 0.05);
        expect(detectWatchdogKills(box, kills, NOW).state).toBe('normal');
        const burst = Array.from({ length: 12 }, (_, i) => ({ runId: `burst-${i}`, at: NOW - i * 60_000 }));
        const finding = detectWatchdogKills(box, [...kills, ...burst], NOW);
        expect(finding.state).toBe('firing');
        if (finding.state === 'firing') expect(finding.evidence[0]?.sampleRunIds[0]).toBe('burst-0');
      }),
      { numRuns: 50, seed: SEED },
    );
  });

  it('stalled steps: fires only past the stall limit', () => {
    const fresh = [{ runId: 'r1', at: NOW - 5 * 60_000 }];
    expect(detectStalledSteps(box, fresh, NOW).state).toBe('normal');
    const finding = detectStalledSteps(box, [...fresh, { runId: 'r2', at: NOW - 45 * 60_000 }], NOW);
    expect(finding.state).toBe('firing');
    if (finding.state === 'firing') expect(finding.evidence[0]?.sampleRunIds).toEqual(['r2']);
  });

  it('quiet box: a busy box silent for hours fires; a nightly box at noon does not', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 0, max: 0.5, noNaN: true }), (seed, noise) => {
        const busy = runTimes({ seed, now: NOW - 8 * 3_600_000, days: 7, runsPerDay: 96, noise });
        const last = Math.max(...busy.map((r) => r.at));
        expect(detectQuietBox(box, busy, last, NOW).state).toBe('firing');
        expect(detectQuietBox(box, busy, NOW - 60_000, NOW).state).toBe('normal');
      }),
      { numRuns: 30, seed: SEED },
    );
    const nightly = Array.from({ length: 30 }, (_, i) => ({ runId: `n${i}`, at: NOW - (i + 0.5) * 5 * 3_600_000 }));
    expect(detectQuietBox(box, nightly, NOW - 10 * 3_600_000, NOW).state).toBe('normal');
  });

  it('queue backlog: an old queued run or a long queue fires', () => {
    expect(detectQueueBacklog(box, [{ runId: 'q', at: NOW - 60_000 }], NOW).state).toBe('normal');
    expect(detectQueueBacklog(box, [{ runId: 'q', at: NOW - 20 * 60_000 }], NOW).state).toBe('firing');
    const many = Array.from({ length: 60 }, (_, i) => ({ runId: `q${i}`, at: NOW - i * 1_000 }));
    expect(detectQueueBacklog(box, many, NOW).state).toBe('firing');
  });
});
