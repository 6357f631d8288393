import type { Finding, Scope } from './finding';
import { binomialTail, HOUR_MS, median, rate, SURPRISE } from './stats';
import { splitWindows, type Windows, windowEvidence } from './windows';

/** One attempt of a step that named a model. `timeout`: killed by the watchdog. */
export interface ModelCall {
  runId: string;
  at: number;
  durationMs: number | null;
  outcome: 'ok' | 'error' | 'timeout';
}

export interface ModelHealthConfig {
  windows: Windows;
  minSamples: number;
  /** Median duration over the baseline's by this factor fires ("latency doubled"). */
  latencyFactor: number;
  /** The error rate must rise by at least this much (absolute) and beyond chance. */
  minErrorRise: number;
}

/** The last hour against the week before it: a provider's bad hour shows within the hour. */
export const DEFAULT_MODEL_HEALTH: ModelHealthConfig = {
  windows: { currentMs: HOUR_MS, baselineMs: 7 * 24 * HOUR_MS },
  minSamples: 10,
  latencyFactor: 2,
  minErrorRise: 0.1,
};

export function detectModelLatency(
  scope: Scope,
  calls: readonly ModelCall[],
  now: number,
  config: ModelHealthConfig = DEFAULT_MODEL_HEALTH,
): Finding {
  const kind = 'model_latency' as const;
  const timed = calls.filter(
    (c): c is ModelCall & { durationMs: number } => c.outcome === 'ok' && c.durationMs !== null,
  );
  const w = splitWindows(timed, now, config.windows);
  if (w.baseline.length < config.minSamples || w.current.length < config.minSamples) {
    return { state: 'insufficient', kind, scope, reason: 'samples' };
  }
  const base = median(w.baseline.map((c) => c.durationMs));
  const current = median(w.current.map((c) => c.durationMs));
  const threshold = base * config.latencyFactor;
  if (base <= 0 || current <= threshold) return { state: 'normal', kind, scope };
  return {
    state: 'firing',
    kind,
    severity: current > threshold * 2 ? 'critical' : 'warning',
    scope,
    message: `Model ${scope.model ?? '?'}: median step duration ${Math.round(base)} ms -> ${Math.round(current)} ms`,
    evidence: [windowEvidence(w, now, { metric: 'step duration ms (median)', baseline: base, current, threshold })],
  };
}

export function detectModelErrors(
  scope: Scope,
  calls: readonly ModelCall[],
  now: number,
  config: ModelHealthConfig = DEFAULT_MODEL_HEALTH,
): Finding {
  const kind = 'model_errors' as const;
  const w = splitWindows(calls, now, config.windows);
  if (w.baseline.length < config.minSamples || w.current.length < config.minSamples) {
    return { state: 'insufficient', kind, scope, reason: 'samples' };
  }
  const failed = (rows: readonly ModelCall[]) => rows.filter((c) => c.outcome !== 'ok');
  const base = rate(failed(w.baseline).length, w.baseline.length);
  const current = rate(failed(w.current).length, w.current.length);
  const threshold = Math.max(base * 2, base + config.minErrorRise);
  // A model that never failed in the baseline is judged as if it failed one call in a thousand.
  const failures = failed(w.current).length;
  if (current <= threshold || binomialTail(failures, w.current.length, Math.max(base, 0.001), 'upper') >= SURPRISE) {
    return { state: 'normal', kind, scope };
  }
  const timeouts = w.current.filter((c) => c.outcome === 'timeout').length;
  return {
    state: 'firing',
    kind,
    severity: current >= 0.5 ? 'critical' : 'warning',
    scope,
    message: `Model ${scope.model ?? '?'}: error rate ${(base * 100).toFixed(0)}% -> ${(current * 100).toFixed(0)}% (${timeouts} timeouts)`,
    evidence: [
      windowEvidence(
        w,
        now,
        { metric: 'error and timeout rate', baseline: base, current, threshold },
        failed(w.current),
      ),
    ],
  };
}
