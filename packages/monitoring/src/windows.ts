import { DAY_MS } from './stats';

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
