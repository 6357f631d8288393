import { PG_BIGINT_MAX, RUN_STEP, type RunEvent } from '@paddock/contracts';
import { durationMs, type EventUsage, eventTimeMs } from './event-rows';

export type RunStatus = 'queued' | 'running' | 'waiting_decision' | 'succeeded' | 'failed' | 'canceled';
export type StepStatus = 'pending' | 'running' | 'waiting_decision' | 'succeeded' | 'failed' | 'skipped' | 'canceled';
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

/**
 * Applies one event to a run's rows. `counted` is the usage its row added to the books, given only when the row was
 * inserted now, so it reaches the run's totals exactly once however often the event is read; `reported` is what the
 * event says about its attempt (a step row shows that). State moves only for events newer than the last one
 * applied, so a late or repeated event never winds the run back. Call `settleRunStatus` after the last one.
 */
export function applyEvent(model: RunModel, event: RunEvent, counted: EventUsage | null, reported: EventUsage): void {
  const { run } = model;
  if (counted && (counted.tokensIn > 0 || counted.tokensOut > 0 || counted.costMicros > 0n)) {
    run.tokensIn = clampInt(run.tokensIn + counted.tokensIn);
    run.tokensOut = clampInt(run.tokensOut + counted.tokensOut);
    // Saturates: each event's cost is bounded at ingestion, but a box can send as many events as it likes, and a
    // run total past BIGINT would fail its UPDATE and stall the box's collection for good.
    run.costMicros += counted.costMicros;
    if (run.costMicros > PG_BIGINT_MAX) run.costMicros = PG_BIGINT_MAX;
    model.runDirty = true;
  }
  const usage = reported;
  if (event.seq <= run.lastEventSeq) return;
  run.lastEventSeq = event.seq;
  model.runDirty = true;
  const at = eventTime(event);
  if (event.step === RUN_STEP) applyRunEvent(model, event, at);
  else applyStepEvent(model, event, at, usage);
  model.statusStale = true;
}

/**
 * Derives the run's status from its steps once, after a batch's events are applied (deriving it after every event
 * walked every step of the run each time). Equivalent: a derived status is never final nor canceled, the only
 * statuses an event reads back, so deriving late changes nothing but the work.
 */
export function settleRunStatus(model: RunModel): void {
  if (!model.statusStale) return;
  model.statusStale = false;
  const { run } = model;
  if (run.finishedAt === null && run.status !== 'canceled') run.status = deriveStatus(model);
}

function applyRunEvent(model: RunModel, event: RunEvent, at: Date): void {
  const { run } = model;
  switch (event.kind) {
    case 'created':
      run.startedAt ??= at;
      break;
    case 'finished': {
      run.status = finalStatus(event.status);
      run.finishedAt = at;
      run.durationMs = run.startedAt ? Math.max(0, at.getTime() - run.startedAt.getTime()) : null;
      run.error = run.status === 'failed' ? failureOf(model, event) : null;
      model.decisions.push({ kind: 'cancel_pending', at });
      break;
    }
    case 'cancelled':
      run.status = 'canceled';
      model.decisions.push({ kind: 'cancel_pending', at });
      break;
    case 'replayed': {
      const steps = Array.isArray(event.data?.steps) ? (event.data.steps as unknown[]).map(String) : [];
      for (const name of steps) resetStep(model, name);
      reopen(model);
      break;
    }
    case 'resumed':
      for (const [name, attempts] of model.steps) {
        const latest = latestOf(attempts);
        if (latest && (latest.status === 'failed' || latest.status === 'canceled')) resetStep(model, name);
      }
      reopen(model);
      break;
    default:
      break;
  }
}

function applyStepEvent(model: RunModel, event: RunEvent, at: Date, usage: EventUsage): void {
  const name = event.step;
  switch (event.kind) {
    case 'started': {
      const attempt = event.attempt ?? nextAttempt(model, name);
      dropAttemptsAbove(model, name, attempt);
      const step = stepRow(model, name, attempt);
      Object.assign(step, {
        status: 'running',
        startedAt: at,
        finishedAt: null,
        exitCode: null,
        error: null,
        durationMs: null,
        outputPath: null,
        tokensIn: 0,
        tokensOut: 0,
        costMicros: 0n,
        model: event.model ?? step.model,
      } satisfies Partial<StepState>);
      touch(model, step);
      break;
    }
    case 'complete':
      finishStep(model, event, at, usage, 'succeeded');
      break;
    case 'error':
      finishStep(model, event, at, usage, 'failed');
      break;
    case 'retry': {
      const step = finishStep(model, event, at, usage, 'failed');
      // The next attempt shows as pending until it starts, so the run reads as still going.
      const next = stepRow(model, name, step.attempt + 1);
      touch(model, next);
      break;
    }
    case 'killed': {
      // A kill that ends the attempt says so in its status; otherwise a retry or error event follows.
      const status = event.status === 'cancelled' ? 'canceled' : event.status === 'pending' ? 'pending' : undefined;
      const step = finishStep(model, event, at, usage, status);
      if (status === 'pending') step.finishedAt = null;
      break;
    }
    case 'skipped': {
      const step = stepRow(model, name, event.attempt ?? latestAttempt(model, name));
      Object.assign(step, { status: 'skipped', error: event.error, finishedAt: at } satisfies Partial<StepState>);
      touch(model, step);
      break;
    }
    case 'decision_pending': {
      const step = stepRow(model, name, event.attempt ?? latestAttempt(model, name));
      Object.assign(step, {
        status: 'waiting_decision',
        startedAt: at,
        finishedAt: null,
        error: null,
        outputPath: event.output_path ?? step.outputPath,
      } satisfies Partial<StepState>);
      touch(model, step);
      const data = event.data ?? {};
      model.decisions.push({
        kind: 'pending',
        stepName: name,
        attempt: step.attempt,
        runtimeDecisionId: `${name}:${event.seq}`,
        prompt: typeof data.prompt === 'string' ? data.prompt : event.message,
        subject: {
          options: data.options ?? null,
          approvers: data.approvers ?? null,
          show: data.show ?? null,
          deadline: data.deadline ?? null,
          on_timeout: data.on_timeout ?? null,
          output_path: event.output_path,
        },
        at,
      });
      break;
    }
    case 'decided': {
      const step = stepRow(model, name, event.attempt ?? latestAttempt(model, name));
      Object.assign(step, { status: 'succeeded', finishedAt: at } satisfies Partial<StepState>);
      touch(model, step);
      const decision = event.decision;
      const option = decision?.option ?? 'unknown';
      // Kept on the step row too: the run's end may come in a later batch, which loads rows, not these changes.
      if (decisionStatus(option) === 'rejected') step.error = `${REJECTED_BY}${decision?.by ?? 'unknown'}`;
      model.decisions.push({
        kind: 'decided',
        stepName: name,
        seq: event.seq,
        status: decisionStatus(option),
        option,
        by: decision?.by ?? 'unknown',
        note: decision?.note ?? null,
        timedOut: decision?.timed_out ?? false,
        at,
      });
      if (option === 'request_changes') {
        const targets = Array.isArray(event.data?.targets) ? (event.data.targets as unknown[]).map(String) : [];
        // The runtime re-runs the targets and everything after them (this decision included).
        const reset = model.graph ? downstream(model.graph, targets) : new Set([...targets, name]);
        for (const target of reset) resetStep(model, target);
        reopen(model);
      }
      break;
    }
    default:
      break; // alert, input: recorded as events, no change of state
  }
}

function finishStep(
  model: RunModel,
  event: RunEvent,
  at: Date,
  usage: EventUsage,
  status: StepStatus | undefined,
): StepState {
  const step = stepRow(model, event.step, event.attempt ?? latestAttempt(model, event.step));
  if (status) step.status = status;
  step.finishedAt = at;
  step.exitCode = event.exit_code;
  step.durationMs = durationMs(event.duration_seconds) ?? step.durationMs;
  step.error = event.error;
  if (event.output_path) step.outputPath = event.output_path;
  if (event.model) step.model = event.model;
  // An attempt's ending event carries the attempt's whole usage: set, not added (a kill and the retry after it
  // both carry it).
  if (event.input_tokens !== null || event.output_tokens !== null || event.cost_usd !== null) {
    step.tokensIn = usage.tokensIn;
    step.tokensOut = usage.tokensOut;
    step.costMicros = usage.costMicros;
  }
  touch(model, step);
  return step;
}

function resetStep(model: RunModel, name: string): void {
  const attempts = model.steps.get(name);
  if (!attempts) return;
  dropAttemptsAbove(model, name, 1);
  const first = attempts.get(1);
  if (!first) return;
  Object.assign(first, {
    status: 'pending',
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    error: null,
    durationMs: null,
  } satisfies Partial<StepState>);
  touch(model, first);
}

function reopen(model: RunModel): void {
  model.run.finishedAt = null;
  model.run.durationMs = null;
  model.run.error = null;
  if (model.run.status === 'canceled' || isFinal(model.run.status)) model.run.status = 'running';
}

function deriveStatus(model: RunModel): RunStatus {
  let anyStarted = false;
  let waiting = false;
  for (const attempts of model.steps.values()) {
    const latest = latestOf(attempts);
    if (!latest) continue;
    if (latest.status === 'running') return 'running';
    if (latest.status === 'waiting_decision') waiting = true;
    if (latest.status !== 'pending' || latest.attempt > 1) anyStarted = true;
  }
  if (waiting) return 'waiting_decision';
  return anyStarted ? 'running' : 'queued';
}

function finalStatus(status: string): RunStatus {
  switch (status) {
    case 'succeeded':
      return 'succeeded';
    case 'cancelled':
      return 'canceled';
    default:
      return 'failed'; // failed, rejected (the run stopped at a rejecting decision)
  }
}

const REJECTED_BY = 'rejected by ';

function failureOf(model: RunModel, event: RunEvent): string {
  if (event.status === 'rejected') {
    for (const change of [...model.decisions].reverse()) {
      if (change.kind === 'decided' && change.status === 'rejected') {
        return `rejected at ${change.stepName} by ${change.by}`;
      }
    }
    for (const attempts of model.steps.values()) {
      const latest = latestOf(attempts);
      if (latest?.error?.startsWith(REJECTED_BY)) {
        return `rejected at ${latest.name} by ${latest.error.slice(REJECTED_BY.length)}`;
      }
    }
    return 'rejected at a decision step';
  }
  for (const attempts of model.steps.values()) {
    const latest = latestOf(attempts);
    if (latest?.status === 'failed' && latest.error) return `${latest.name}: ${latest.error}`;
  }
  return event.error ?? `run ${event.status}`;
}

function isFinal(status: RunStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled';
}

function decisionStatus(option: string): DecisionStatus {
  if (option === 'approve') return 'approved';
  if (option === 'reject') return 'rejected';
  if (option === 'request_changes') return 'changes_requested';
  // A chain's own option name (e.g. "ship"): the decision was made and the run goes on; the option is kept in
  // the decision's subject.
  return 'approved';
}

function stepRow(model: RunModel, name: string, attempt: number): StepState {
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
    error: null,
    startedAt: null,
    finishedAt: null,
  };
  attempts.set(attempt, step);
  return step;
}

function dropAttemptsAbove(model: RunModel, name: string, attempt: number): void {
  const attempts = model.steps.get(name);
  if (!attempts) return;
  for (const [n, step] of attempts) {
    if (n <= attempt) continue;
    attempts.delete(n);
    model.dirtySteps.delete(step);
    if (step.id) model.deletedStepIds.push(step.id);
  }
}

function touch(model: RunModel, step: StepState): void {
  model.dirtySteps.add(step);
}

function latestOf(attempts: Map<number, StepState>): StepState | undefined {
  let latest: StepState | undefined;
  for (const step of attempts.values()) if (!latest || step.attempt > latest.attempt) latest = step;
  return latest;
}

function latestAttempt(model: RunModel, name: string): number {
  const attempts = model.steps.get(name);
  return attempts ? (latestOf(attempts)?.attempt ?? 1) : 1;
}

function nextAttempt(model: RunModel, name: string): number {
  const latest = model.steps.get(name);
  const step = latest ? latestOf(latest) : undefined;
  if (!step) return 1;
  return step.status === 'pending' ? step.attempt : step.attempt + 1;
}

function nextPosition(model: RunModel): number {
  let max = -1;
  for (const attempts of model.steps.values()) {
    for (const step of attempts.values()) max = Math.max(max, step.position);
  }
  return max + 1;
}

function downstream(graph: Map<string, string[]>, roots: string[]): Set<string> {
  const result = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [name, needs] of graph) {
      if (!result.has(name) && needs.some((need) => result.has(need))) {
        result.add(name);
        grew = true;
      }
    }
  }
  return result;
}

function eventTime(event: RunEvent): Date {
  const parsed = eventTimeMs(event.timestamp);
  return new Date(Number.isFinite(parsed) ? parsed : Date.now());
}

function clampInt(value: number): number {
  return Math.min(2_147_483_647, value);
}
