import type { Evidence, Finding, Scope } from './finding';
import { binomialTail, median, rate, SURPRISE, spread } from './stats';
import { DAY_AGAINST_WEEK, splitWindows, type Windows, windowEvidence } from './windows';

/** One finished run of one chain version (its prompts unchanged by definition: a version is a content hash). */
export interface VersionRun {
  runId: string;
  at: number;
  tokens: number;
  outputBytes: number | null;
  /** Whether every check of the run passed; null when its steps have no checks. */
  checksPassed: boolean | null;
}

export interface PromptDriftConfig {
  windows: Windows;
  minSamples: number;
  /** How many (robust) standard deviations of the baseline the current median must move. */
  spreads: number;
  /** ...and by at least this share of the baseline, so a near-constant series does not fire on a tiny wobble. */
  minRelativeChange: number;
  minPassRateDrop: number;
}

export const DEFAULT_PROMPT_DRIFT: PromptDriftConfig = {
  windows: DAY_AGAINST_WEEK,
  minSamples: 8,
  spreads: 4,
  minRelativeChange: 0.25,
  minPassRateDrop: 0.15,
};

/**
 * The same chain version behaving differently than it used to: tokens or output size beyond their usual spread, or
 * its checks passing less often. Nothing in the version changed, so the model (or its provider) changed underneath.
 * A new version is judged only once it has its own baseline; the cost detector covers the moment of a prompt edit.
 */
export function detectPromptDrift(
  scope: Scope,
  runs: readonly VersionRun[],
  now: number,
  config: PromptDriftConfig = DEFAULT_PROMPT_DRIFT,
): Finding {
  const kind = 'prompt_drift' as const;
  const w = splitWindows(runs, now, config.windows);
  if (w.baseline.length < config.minSamples || w.current.length < config.minSamples) {
    return { state: 'insufficient', kind, scope, reason: 'samples' };
  }
  const evidence: Evidence[] = [];
  const numeric: Array<[string, (run: VersionRun) => number | null]> = [
    ['tokens per run (median)', (run) => run.tokens],
    ['output bytes per run (median)', (run) => run.outputBytes],
  ];
  for (const [metric, pick] of numeric) {
    // The runs that have the figure (older runtimes sent no output size): the evidence counts those.
    const measured = {
      ...w,
      baseline: w.baseline.filter((run) => pick(run) !== null),
      current: w.current.filter((run) => pick(run) !== null),
    };
    const before = measured.baseline.map(pick) as number[];
    const after = measured.current.map(pick) as number[];
    if (before.length < config.minSamples || after.length < config.minSamples) continue;
    const base = median(before);
    const current = median(after);
    const allowed = Math.max(config.spreads * spread(before), config.minRelativeChange * Math.abs(base));
    if (Math.abs(current - base) > allowed) {
      evidence.push(
        windowEvidence(
          measured,
          now,
          { metric, baseline: base, current, threshold: current > base ? base + allowed : base - allowed },
          w.current,
        ),
      );
    }
  }
  const checkedBefore = w.baseline.filter((run) => run.checksPassed !== null);
  const checkedAfter = w.current.filter((run) => run.checksPassed !== null);
  if (checkedBefore.length >= config.minSamples && checkedAfter.length >= config.minSamples) {
    const base = rate(checkedBefore.filter((run) => run.checksPassed).length, checkedBefore.length);
    const current = rate(checkedAfter.filter((run) => run.checksPassed).length, checkedAfter.length);
    const threshold = base - config.minPassRateDrop;
    const passes = checkedAfter.filter((run) => run.checksPassed).length;
    if (current < threshold && binomialTail(passes, checkedAfter.length, base, 'lower') < SURPRISE) {
      evidence.push(
        windowEvidence(
          { ...w, baseline: checkedBefore, current: checkedAfter },
          now,
          { metric: 'runs whose checks all passed', baseline: base, current, threshold },
          checkedAfter.filter((run) => !run.checksPassed),
        ),
      );
    }
  }
  if (evidence.length === 0) return { state: 'normal', kind, scope };
  return {
    state: 'firing',
    kind,
    severity: 'warning',
    scope,
    message: `Same chain version, different behaviour: ${evidence.map((e) => e.metric).join(', ')} moved beyond their usual spread`,
    evidence,
  };
}
