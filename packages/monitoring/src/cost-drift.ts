import { type Evidence, type Finding, isoWindow, type Scope } from './finding';
import { DAY_MS, median, sampleIds } from './stats';

export interface CostRun {
  runId: string;
  /** When the run finished (ms since the epoch). */
  at: number;
  costMicros: number;
  tokens: number;
}

export interface CostDriftConfig {
  /** Alert when the current value exceeds the baseline median by this factor. */
  factor: number;
  baselineDays: number;
  /** Fewer baseline runs (or days with runs) than this: no judgement. */
  minBaselineRuns: number;
  minBaselineDays: number;
}

export const DEFAULT_COST_DRIFT: CostDriftConfig = {
  factor: 2,
  baselineDays: 7,
  minBaselineRuns: 10,
  minBaselineDays: 3,
};

const METRICS = ['tokens', 'costMicros'] as const;

/**
 * A chain's newest run against the median run of the 7 days before the last 24 hours. The current day is kept out
 * of the baseline so a change that doubles every run is judged against the runs before it, not half against itself.
 * Tokens and cost are judged apart: a price change moves cost alone, a prompt change moves both.
 */
export function detectRunCostDrift(
  scope: Scope,
  runs: readonly CostRun[],
  now: number,
  config: CostDriftConfig = DEFAULT_COST_DRIFT,
): Finding {
  const kind = 'cost_drift_run' as const;
  const { baseline, current, baselineFrom, currentFrom } = split(runs, now, config);
  if (baseline.length < config.minBaselineRuns) return { state: 'insufficient', kind, scope, reason: 'baseline' };
  const latest = current.reduce<CostRun | undefined>((a, b) => (a && a.at >= b.at ? a : b), undefined);
  if (!latest) return { state: 'normal', kind, scope };
  const evidence: Evidence[] = [];
  for (const metric of METRICS) {
    const base = median(baseline.map((run) => run[metric]));
    const threshold = base * config.factor;
    // At or above: "token use doubled" is exactly the factor 2 a prompt change often brings.
    if (base > 0 && latest[metric] >= threshold) {
      evidence.push({
        metric: `${metric} per run`,
        baseline: base,
        current: latest[metric],
        threshold,
        baselineWindow: isoWindow(baselineFrom, currentFrom),
        currentWindow: isoWindow(currentFrom, now),
        baselineSamples: baseline.length,
        currentSamples: 1,
        sampleRunIds: [latest.runId, ...sampleIds(baseline, 3)],
      });
    }
  }
  if (evidence.length === 0) return { state: 'normal', kind, scope };
  return firing(kind, scope, evidence, config, 'run');
}

/** The last 24 hours' total against the median total of the baseline's days that had runs. */
export function detectDayCostDrift(
  scope: Scope,
  runs: readonly CostRun[],
  now: number,
  config: CostDriftConfig = DEFAULT_COST_DRIFT,
): Finding {
  const kind = 'cost_drift_day' as const;
  const { baseline, current, baselineFrom, currentFrom } = split(runs, now, config);
  const days = new Map<number, { tokens: number; costMicros: number }>();
  for (const run of baseline) {
    const day = Math.floor((currentFrom - run.at) / DAY_MS);
    const total = days.get(day) ?? { tokens: 0, costMicros: 0 };
    total.tokens += run.tokens;
    total.costMicros += run.costMicros;
    days.set(day, total);
  }
  if (days.size < config.minBaselineDays || baseline.length < config.minBaselineRuns) {
    return { state: 'insufficient', kind, scope, reason: 'baseline' };
  }
  const evidence: Evidence[] = [];
  for (const metric of METRICS) {
    const base = median([...days.values()].map((day) => day[metric]));
    const today = current.reduce((sum, run) => sum + run[metric], 0);
    const threshold = base * config.factor;
    if (base > 0 && today >= threshold) {
      evidence.push({
        metric: `${metric} per day`,
        baseline: base,
        current: today,
        threshold,
        baselineWindow: isoWindow(baselineFrom, currentFrom),
        currentWindow: isoWindow(currentFrom, now),
        baselineSamples: days.size,
        currentSamples: current.length,
        sampleRunIds: sampleIds(current),
      });
    }
  }
  if (evidence.length === 0) return { state: 'normal', kind, scope };
  return firing(kind, scope, evidence, config, 'day');
}

function split(runs: readonly CostRun[], now: number, config: CostDriftConfig) {
  const currentFrom = now - DAY_MS;
  const baselineFrom = currentFrom - config.baselineDays * DAY_MS;
  return {
    baseline: runs.filter((run) => run.at >= baselineFrom && run.at < currentFrom),
    current: runs.filter((run) => run.at >= currentFrom && run.at <= now),
    baselineFrom,
    currentFrom,
  };
}

function firing(
  kind: 'cost_drift_run' | 'cost_drift_day',
  scope: Scope,
  evidence: Evidence[],
  config: CostDriftConfig,
  what: 'run' | 'day',
): Finding {
  const worst = Math.max(...evidence.map((e) => e.current / e.baseline));
  const severity = worst >= config.factor * 2 ? 'critical' : 'warning';
  const metrics = evidence.map((e) => e.metric).join(' and ');
  const message =
    what === 'run'
      ? `A run used ${worst.toFixed(1)}x the 7-day median (${metrics})`
      : `The last 24 hours cost ${worst.toFixed(1)}x a usual day (${metrics})`;
  return { state: 'firing', kind, severity, scope, message, evidence };
}
