import { DAY_MS } from './stats';

/**
 * Seeded synthetic history for the detectors' tests and the benchmark: reproducible from a seed (fast-check picks
 * the seeds and prints the failing one), noisy like real runs, with an optional change at a given moment.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  // mulberry32: small, fast, good enough for test noise.
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface SeriesOptions {
  seed: number;
  now: number;
  days: number;
  runsPerDay: number;
  /** Uniform relative noise: each value is base x (1 ± noise). */
  noise: number;
}

/** Evenly spread run times (with jitter) over `days` days up to `now`, oldest first, each with a random factor. */
export function runTimes(options: SeriesOptions): Array<{ runId: string; at: number; jitter: number }> {
  const random = seededRandom(options.seed);
  const count = options.days * options.runsPerDay;
  const step = (options.days * DAY_MS) / count;
  const start = options.now - options.days * DAY_MS;
  return Array.from({ length: count }, (_, i) => ({
    runId: `run-${options.seed}-${i}`,
    at: Math.min(options.now, Math.round(start + (i + random()) * step)),
    jitter: 1 + (random() * 2 - 1) * options.noise,
  }));
}
