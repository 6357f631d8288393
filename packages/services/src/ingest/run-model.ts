/**
 * A run's rows as the collector holds them while it applies a batch of events: the `runs` row, one `run_steps` row per
 * step and attempt, and the decision changes to write. Pure data and the helpers that find and make rows.
 */
import type { RunStatus, StepStatus } from '@paddock/contracts';

// The control plane's statuses are defined once in contracts (api/run-statuses.ts); re-exported for collect/.
export type { RunStatus, StepStatus };
export type DecisionStatus = 'pending' | 'approved' | 'rejected' | 'changes_requested' | 'canceled';

/** The columns of a `runs` row the collector maintains. */
export interface RunState {
  id: string;
  tenantId: string;
  status: RunStatus;
  tokensIn: number;
  tokensOut: number;
  costMicros: bigint;
  durationMs: number | null;
  lastEventSeq: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
}

/** The columns of a `run_steps` row the collector maintains; one row per step and attempt. */
export interface StepState {
  id: string | undefined;
  name: string;
  attempt: number;
  position: number;
  status: StepStatus;
  model: string | null;
  tokensIn: number;
  tokensOut: number;
  costMicros: bigint;
  durationMs: number | null;
  exitCode: number | null;
  outputPath: string | null;
  outputBytes: number | null;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export type DecisionChange =
  | {
      kind: 'pending';
      stepName: string;
      attempt: number;
      runtimeDecisionId: string;
      prompt: string | null;
      subject: Record<string, unknown>;
      at: Date;
    }
  | {
      kind: 'decided';
      stepName: string;
      /** The seq of the decided event: the decision it answers is the step's latest pending one before it. */
      seq: number;
      status: DecisionStatus;
      option: string;
      by: string;
      note: string | null;
      timedOut: boolean;
      at: Date;
    }
  | { kind: 'cancel_pending'; at: Date };

/** A run's rows, changed in memory by `applyEvent` and written back by the ingester in the same transaction. */
export interface RunModel {
  run: RunState;
  /** Rows by step name, then attempt. */
  steps: Map<string, Map<number, StepState>>;
  dirtySteps: Set<StepState>;
  deletedStepIds: string[];
  decisions: DecisionChange[];
  /** Step name → the steps it needs, when the run's chain version is known (for request_changes). */
  graph: Map<string, string[]> | undefined;
  runDirty: boolean;
  /** The run's status is to be derived from its steps again (see `settleRunStatus`). */
  statusStale: boolean;
}

export function newRunModel(run: RunState, steps: StepState[], graph?: Map<string, string[]>): RunModel {
  const byName = new Map<string, Map<number, StepState>>();
  for (const step of steps) {
    let attempts = byName.get(step.name);
    if (!attempts) {
      attempts = new Map();
      byName.set(step.name, attempts);
    }
    attempts.set(step.attempt, step);
  }
  return {
    run,
    steps: byName,
    dirtySteps: new Set(),
    deletedStepIds: [],
    decisions: [],
    graph,
    runDirty: false,
    statusStale: false,
  };
}

export function stepRow(model: RunModel, name: string, attempt: number): StepState {
  let attempts = model.steps.get(name);
  if (!attempts) {
    attempts = new Map();
    model.steps.set(name, attempts);
  }
  const existing = attempts.get(attempt);
  if (existing) return existing;
  const known = attempts.values().next().value as StepState | undefined;
  const step: StepState = {
    id: undefined,
    name,
    attempt,
    position: known?.position ?? nextPosition(model),
    status: 'pending',
    model: known?.model ?? null,
    tokensIn: 0,
    tokensOut: 0,
    costMicros: 0n,
    durationMs: null,
    exitCode: null,
    outputPath: null,
    outputBytes: null,
    error: null,
    startedAt: null,
    finishedAt: null,
  };
  attempts.set(attempt, step);
  return step;
}

export function dropAttemptsAbove(model: RunModel, name: string, attempt: number): void {
  const attempts = model.steps.get(name);
  if (!attempts) return;
  for (const [n, step] of attempts) {
    if (n <= attempt) continue;
    attempts.delete(n);
    model.dirtySteps.delete(step);
    if (step.id) model.deletedStepIds.push(step.id);
  }
}

export function touch(model: RunModel, step: StepState): void {
  model.dirtySteps.add(step);
}

export function latestOf(attempts: Map<number, StepState>): StepState | undefined {
  let latest: StepState | undefined;
  for (const step of attempts.values()) if (!latest || step.attempt > latest.attempt) latest = step;
  return latest;
}

export function latestAttempt(model: RunModel, name: string): number {
  const attempts = model.steps.get(name);
  return attempts ? (latestOf(attempts)?.attempt ?? 1) : 1;
}

export function nextAttempt(model: RunModel, name: string): number {
  const latest = model.steps.get(name);
  const step = latest ? latestOf(latest) : undefined;
  if (!step) return 1;
  return step.status === 'pending' ? step.attempt : step.attempt + 1;
}

export function nextPosition(model: RunModel): number {
  let max = -1;
  for (const attempts of model.steps.values()) {
    for (const step of attempts.values()) max = Math.max(max, step.position);
  }
  return max + 1;
}
