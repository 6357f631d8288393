import { type Finding, isoWindow, type Scope } from './finding';
import { HOUR_MS, median, poissonUpperTail, SURPRISE, sampleIds } from './stats';
import { splitWindows, type Windows, windowEvidence } from './windows';

export interface BoxRuntimeConfig {
  killWindows: Windows;
  /** Kills in the current window must exceed both this count and `killFactor` x the baseline's rate. */
  minKills: number;
  killFactor: number;
  /** A running step with no progress (no event) for this long is stalled. */
  stallMs: number;
  /** A busy box silent for this long, and for 4 of its usual gaps between runs, went quiet. */
  quietMs: number;
  /** The box is "busy" with at least this many runs in the week before. */
  minRunsForQuiet: number;
  /** Queued runs: the oldest waiting longer than this, or more than `maxQueued` waiting. */
  maxQueueAgeMs: number;
  maxQueued: number;
}

export const DEFAULT_BOX_RUNTIME: BoxRuntimeConfig = {
  killWindows: { currentMs: HOUR_MS, baselineMs: 7 * 24 * HOUR_MS },
  minKills: 3,
  killFactor: 3,
  stallMs: 30 * 60_000,
  quietMs: 6 * HOUR_MS,
  minRunsForQuiet: 20,
  maxQueueAgeMs: 15 * 60_000,
  maxQueued: 50,
};

export interface TimedRun {
  runId: string;
  at: number;
}

/** Watchdog kills on a box: more in the last hour than chance allows given the week's rate. */
export function detectWatchdogKills(
  scope: Scope,
  kills: readonly TimedRun[],
  now: number,
  config: BoxRuntimeConfig = DEFAULT_BOX_RUNTIME,
): Finding {
  const kind = 'watchdog_kills' as const;
  const w = splitWindows(kills, now, config.killWindows);
  const expected = (w.baseline.length * config.killWindows.currentMs) / config.killWindows.baselineMs;
  const threshold = Math.max(config.minKills, expected * config.killFactor);
  // Kills are rare events: a Poisson count against the usual rate (a quiet week counts as 0.1 an hour).
  const surprise = poissonUpperTail(w.current.length, Math.max(expected, 0.1));
  if (w.current.length <= threshold || surprise >= SURPRISE) return { state: 'normal', kind, scope };
  return {
    state: 'firing',
    kind,
    severity: 'warning',
    scope,
    message: `${w.current.length} steps killed by the watchdog in the last hour (about ${expected.toFixed(1)} usual)`,
    evidence: [
      windowEvidence(w, now, {
        metric: 'watchdog kills per window',
        baseline: expected,
        current: w.current.length,
        threshold,
      }),
    ],
  };
}

/** Steps still `running` whose last progress is older than the stall limit. `at`: the step's last update. */
export function detectStalledSteps(
  scope: Scope,
  running: readonly TimedRun[],
  now: number,
  config: BoxRuntimeConfig = DEFAULT_BOX_RUNTIME,
): Finding {
  const kind = 'steps_stalled' as const;
  const stalled = running.filter((step) => now - step.at > config.stallMs);
  if (stalled.length === 0) return { state: 'normal', kind, scope };
  const oldest = Math.min(...stalled.map((step) => step.at));
  return {
    state: 'firing',
    kind,
    severity: 'warning',
    scope,
    message: `${stalled.length} running step(s) without progress for over ${Math.round(config.stallMs / 60_000)} minutes`,
    evidence: [
      {
        metric: 'minutes since the oldest stalled step progressed',
        baseline: config.stallMs / 60_000,
        current: (now - oldest) / 60_000,
        threshold: config.stallMs / 60_000,
        baselineWindow: isoWindow(oldest, oldest),
        currentWindow: isoWindow(oldest, now),
        baselineSamples: 0,
        currentSamples: stalled.length,
        sampleRunIds: sampleIds(stalled),
      },
    ],
  };
}

/**
 * A box that was busy and has gone silent: no event for longer than `quietMs` and than 4 of its usual gaps between
 * runs (so a box that runs a nightly chain is not "quiet" at noon). `lastEventAt` null: it never sent anything.
 */
export function detectQuietBox(
  scope: Scope,
  runStarts: readonly TimedRun[],
  lastEventAt: number | null,
  now: number,
  config: BoxRuntimeConfig = DEFAULT_BOX_RUNTIME,
): Finding {
  const kind = 'box_quiet' as const;
  const week = runStarts.filter((run) => run.at >= now - 7 * 24 * HOUR_MS).sort((a, b) => a.at - b.at);
  if (week.length < config.minRunsForQuiet || lastEventAt === null) {
    return { state: 'insufficient', kind, scope, reason: 'not busy' };
  }
  const gaps = week.slice(1).map((run, i) => run.at - (week[i] as TimedRun).at);
  const usualGap = median(gaps);
  const limit = Math.max(config.quietMs, 4 * usualGap);
  const silentFor = now - lastEventAt;
  if (silentFor <= limit) return { state: 'normal', kind, scope };
  return {
    state: 'firing',
    kind,
    severity: 'critical',
    scope,
    message: `The box has sent nothing for ${(silentFor / HOUR_MS).toFixed(1)} h (it usually runs every ${(usualGap / 60_000).toFixed(0)} min)`,
    evidence: [
      {
        metric: 'ms since the last event',
        baseline: usualGap,
        current: silentFor,
        threshold: limit,
        baselineWindow: isoWindow(now - 7 * 24 * HOUR_MS, lastEventAt),
        currentWindow: isoWindow(lastEventAt, now),
        baselineSamples: week.length,
        currentSamples: 0,
        sampleRunIds: sampleIds(week, 3),
      },
    ],
  };
}

/** A tenant's run queue backing up: too many queued, or the oldest waiting too long. `at`: when it was queued. */
export function detectQueueBacklog(
  scope: Scope,
  queued: readonly TimedRun[],
  now: number,
  config: BoxRuntimeConfig = DEFAULT_BOX_RUNTIME,
): Finding {
  const kind = 'runs_queued' as const;
  if (queued.length === 0) return { state: 'normal', kind, scope };
  const oldest = Math.min(...queued.map((run) => run.at));
  const waited = now - oldest;
  if (waited <= config.maxQueueAgeMs && queued.length <= config.maxQueued) return { state: 'normal', kind, scope };
  return {
    state: 'firing',
    kind,
    severity: 'warning',
    scope,
    message: `${queued.length} run(s) queued; the oldest has waited ${Math.round(waited / 60_000)} minutes`,
    evidence: [
      {
        metric: 'oldest queued run, minutes',
        baseline: config.maxQueueAgeMs / 60_000,
        current: waited / 60_000,
        threshold: config.maxQueueAgeMs / 60_000,
        baselineWindow: isoWindow(oldest, oldest),
        currentWindow: isoWindow(oldest, now),
        baselineSamples: 0,
        currentSamples: queued.length,
        sampleRunIds: sampleIds(queued),
      },
    ],
  };
}
