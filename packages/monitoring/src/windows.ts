import { type Evidence, isoWindow } from './finding';
import { DAY_MS, sampleIds } from './stats';

export interface Windows {
  /** The recent window being judged, [currentFrom, now]. */
  currentMs: number;
  /** The baseline before it, [currentFrom - baselineMs, currentFrom). */
  baselineMs: number;
}

export const DAY_AGAINST_WEEK: Windows = { currentMs: DAY_MS, baselineMs: 7 * DAY_MS };

/** Splits timed rows into the baseline and the current window; rows outside both are ignored. */
export function splitWindows<T extends { at: number }>(rows: readonly T[], now: number, windows: Windows) {
  const currentFrom = now - windows.currentMs;
  const baselineFrom = currentFrom - windows.baselineMs;
  return {
    baseline: rows.filter((row) => row.at >= baselineFrom && row.at < currentFrom),
    current: rows.filter((row) => row.at >= currentFrom && row.at <= now),
    baselineFrom,
    currentFrom,
  };
}

/** A split's baseline and current rows with their bounds (what `splitWindows` returns). */
export interface Split<T extends { runId: string; at: number }> {
  baseline: readonly T[];
  current: readonly T[];
  baselineFrom: number;
  currentFrom: number;
}

/**
 * The evidence of a current window judged against its baseline, built one way for every detector: the figures it
 * compared, both windows, their sample counts and the latest runs of `samples` (default: the current window's; a
 * detector passes the rows that show the problem, e.g. the failed ones).
 */
export function windowEvidence<T extends { runId: string; at: number }>(
  split: Split<T>,
  now: number,
  figures: { metric: string; baseline: number; current: number; threshold: number },
  samples: readonly { runId: string; at: number }[] = split.current,
): Evidence {
  return {
    ...figures,
    baselineWindow: isoWindow(split.baselineFrom, split.currentFrom),
    currentWindow: isoWindow(split.currentFrom, now),
    baselineSamples: split.baseline.length,
    currentSamples: split.current.length,
    sampleRunIds: sampleIds(samples),
  };
}
