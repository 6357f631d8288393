/** Order statistics the detectors share. Medians and MADs, not means and standard deviations: one wild run in a
 * baseline must not move it (agent runs are heavy-tailed: a retry doubles a run's tokens). */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median absolute deviation, scaled by 1.4826 so it estimates a standard deviation for normal noise. */
export function spread(values: readonly number[]): number {
  const center = median(values);
  return 1.4826 * median(values.map((value) => Math.abs(value - center)));
}

export function rate(hits: number, total: number): number {
  return total === 0 ? 0 : hits / total;
}

/** A few run ids to show as examples: the newest first, at most `count`. */
export function sampleIds<T extends { runId: string; at: number }>(rows: readonly T[], count = 5): string[] {
  const ids: string[] = [];
  for (const row of [...rows].sort((a, b) => b.at - a.at)) {
    if (!ids.includes(row.runId)) ids.push(row.runId);
    if (ids.length === count) break;
  }
  return ids;
}

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Chance that a rate p over n trials gives k or fewer hits (`lower`) or k or more (`upper`), exactly (log space).
 * Rate detectors fire only when this is below SURPRISE: a few failed checks in a small window are ordinary bad
 * luck, not drift, and a detector that cries wolf gets muted.
 */
export function binomialTail(k: number, n: number, p: number, side: 'lower' | 'upper'): number {
  if (p <= 0) return side === 'lower' || k <= 0 ? 1 : 0;
  if (p >= 1) return side === 'upper' || k >= n ? 1 : 0;
  // pmf(i) from pmf(i-1) by the ratio (n-i+1)/i * p/(1-p), in log space: O(n), no overflow.
  let logPmf = n * Math.log(1 - p);
  const ratio = Math.log(p) - Math.log(1 - p);
  let lower = 0;
  let upper = 0;
  for (let i = 0; i <= n; i++) {
    if (i > 0) logPmf += Math.log((n - i + 1) / i) + ratio;
    if (i <= k) lower += Math.exp(logPmf);
    if (i >= k) upper += Math.exp(logPmf);
  }
  return Math.min(1, side === 'lower' ? lower : upper);
}

/** Chance of k or more events when `expected` are usual (Poisson). */
export function poissonUpperTail(k: number, expected: number): number {
  let term = Math.exp(-expected);
  let below = 0;
  for (let i = 0; i < k; i++) {
    below += term;
    term *= expected / (i + 1);
  }
  return Math.max(0, 1 - below);
}

export const SURPRISE = 1e-5;
