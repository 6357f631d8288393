import type { Finding, Scope } from './finding';
import { binomialTail, mean, median, rate, SURPRISE } from './stats';
import { DAY_AGAINST_WEEK, splitWindows, type Windows, windowEvidence } from './windows';

/** One attempt of one step (a row of run_steps). */
export interface StepAttempt {
  runId: string;
  at: number;
  attempt: number;
  /** `check_failed`: the agent finished but its `check` refused the output; `failed`: anything else went wrong. */
  outcome: 'passed' | 'check_failed' | 'failed';
  outputBytes: number | null;
}

export interface QualityConfig {
  windows: Windows;
  minSamples: number;
  /** A pass rate must fall at least this much (absolute), and beyond chance, to fire. */
  minPassRateDrop: number;
  /** Mean attempts per run must rise at least this much, and beyond chance. */
  minRetryRise: number;
  /** Median output size moving by this factor either way fires. */
  outputFactor: number;
}

export const DEFAULT_QUALITY: QualityConfig = {
  windows: DAY_AGAINST_WEEK,
  minSamples: 10,
  minPassRateDrop: 0.15,
  minRetryRise: 0.5,
  outputFactor: 2,
};

/** The share of a step's checked attempts whose check passed, now against the week before. */
export function detectCheckPassRate(
  scope: Scope,
  attempts: readonly StepAttempt[],
  now: number,
  config: QualityConfig = DEFAULT_QUALITY,
): Finding {
  const kind = 'quality_check_pass_rate' as const;
  const checked = attempts.filter((a) => a.outcome !== 'failed');
  const w = splitWindows(checked, now, config.windows);
  if (w.baseline.length < config.minSamples || w.current.length < config.minSamples) {
    return { state: 'insufficient', kind, scope, reason: 'samples' };
  }
  const passRate = (rows: readonly StepAttempt[]) =>
    rate(rows.filter((a) => a.outcome === 'passed').length, rows.length);
  const base = passRate(w.baseline);
  const current = passRate(w.current);
  const threshold = base - config.minPassRateDrop;
  const passes = w.current.filter((a) => a.outcome === 'passed').length;
  if (current >= threshold || binomialTail(passes, w.current.length, base, 'lower') >= SURPRISE) {
    return { state: 'normal', kind, scope };
  }
  return {
    state: 'firing',
    kind,
    severity: current < base / 2 ? 'critical' : 'warning',
    scope,
    message: `Check pass rate fell from ${pct(base)} to ${pct(current)}`,
    evidence: [
      windowEvidence(
        w,
        now,
        { metric: 'check pass rate', baseline: base, current, threshold },
        w.current.filter((a) => a.outcome === 'check_failed'),
      ),
    ],
  };
}

/** Attempts per run of a step (1 = no retries), now against the week before. */
export function detectRetries(
  scope: Scope,
  attempts: readonly StepAttempt[],
  now: number,
  config: QualityConfig = DEFAULT_QUALITY,
): Finding {
  const kind = 'quality_retries' as const;
  const perRun = new Map<string, { runId: string; at: number; attempts: number }>();
  for (const a of attempts) {
    const seen = perRun.get(a.runId);
    if (!seen || a.attempt > seen.attempts) perRun.set(a.runId, { runId: a.runId, at: a.at, attempts: a.attempt });
  }
  const w = splitWindows([...perRun.values()], now, config.windows);
  if (w.baseline.length < config.minSamples || w.current.length < config.minSamples) {
    return { state: 'insufficient', kind, scope, reason: 'samples' };
  }
  const base = mean(w.baseline.map((r) => r.attempts));
  const current = mean(w.current.map((r) => r.attempts));
  const sd = Math.sqrt(mean(w.baseline.map((r) => (r.attempts - base) ** 2)));
  const threshold = base + Math.max(config.minRetryRise, (3 * sd) / Math.sqrt(w.current.length));
  if (current <= threshold) return { state: 'normal', kind, scope };
  return {
    state: 'firing',
    kind,
    severity: 'warning',
    scope,
    message: `Attempts per run rose from ${base.toFixed(2)} to ${current.toFixed(2)}`,
    evidence: [
      windowEvidence(
        w,
        now,
        { metric: 'attempts per run', baseline: base, current, threshold },
        w.current.filter((r) => r.attempts > 1),
      ),
    ],
  };
}

/** The median output size of a step's successful attempts, now against the week before (either way). */
export function detectOutputSize(
  scope: Scope,
  attempts: readonly StepAttempt[],
  now: number,
  config: QualityConfig = DEFAULT_QUALITY,
): Finding {
  const kind = 'quality_output_size' as const;
  const sized = attempts.filter((a): a is StepAttempt & { outputBytes: number } => a.outputBytes !== null);
  const w = splitWindows(sized, now, config.windows);
  if (w.baseline.length < config.minSamples || w.current.length < config.minSamples) {
    return { state: 'insufficient', kind, scope, reason: 'samples' };
  }
  const base = median(w.baseline.map((a) => a.outputBytes));
  const current = median(w.current.map((a) => a.outputBytes));
  const grew = current > base * config.outputFactor;
  const shrank = current * config.outputFactor < base;
  if (!grew && !shrank) return { state: 'normal', kind, scope };
  return {
    state: 'firing',
    kind,
    severity: 'warning',
    scope,
    message: `Median output ${grew ? 'grew' : 'shrank'} from ${Math.round(base)} to ${Math.round(current)} bytes`,
    evidence: [
      windowEvidence(w, now, {
        metric: 'output bytes (median)',
        baseline: base,
        current,
        threshold: grew ? base * config.outputFactor : base / config.outputFactor,
      }),
    ],
  };
}

function pct(value: number): string {
  return `${(value * 100).toFixed(0)}%`;
}
