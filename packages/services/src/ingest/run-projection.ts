import { PG_BIGINT_MAX, RUN_STEP, type RunEvent } from '@paddock/contracts';
import { durationMs, type EventUsage, eventTimeMs } from './event-rows';
import {
  dropAttemptsAbove,
  latestAttempt,
  latestOf,
  nextAttempt,
  type RunModel,
  type StepState,
  type StepStatus,
  stepRow,
  touch,
} from './run-model';
import { decisionStatus, failureOf, finalStatus, isFinal, REJECTED_BY } from './run-status';

export {
  type DecisionChange,
  type DecisionStatus,
  newRunModel,
  type RunModel,
  type RunState,
  type RunStatus,
  type StepState,
  type StepStatus,
} from './run-model';
export { settleRunStatus } from './run-status';

/*
 * How a run's events become its rows. Every execution of a step is its own `run_steps` row (run, name, attempt),
 * numbered as the box numbers them (the event's `attempt`): a watchdog retry, a request_changes loop, a replay or a
 * resume starts the next number, and an earlier attempt's row is never overwritten. A step's current attempt is its
 * highest number; when a step is to run again (retry, reset) a `pending` row for the next number stands for the
 * attempt the box will start, so the step reads as pending while its history stays as it was.
 */

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
      for (const name of steps) resetStep(model, name, at);
      reopen(model);
      break;
    }
    case 'resumed':
      for (const [name, attempts] of model.steps) {
        const latest = latestOf(attempts);
        if (latest && (latest.status === 'failed' || latest.status === 'canceled')) resetStep(model, name, at);
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
        outputBytes: null,
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
      // A kill that ends the attempt says so in its status (`cancelled`: the run was; `pending`: the attempt was
      // replaced by a replay or a request_changes, and the step runs again as its next attempt); otherwise a retry or
      // error event follows. A replaced attempt is history: canceled, with its usage and why.
      const ended = event.status === 'cancelled' || event.status === 'pending';
      const step = finishStep(model, event, at, usage, ended ? 'canceled' : undefined);
      if (event.status === 'pending' && latestAttempt(model, name) === step.attempt) {
        touch(model, stepRow(model, name, step.attempt + 1));
      }
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
        for (const target of reset) resetStep(model, target, at);
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
  if (event.output_bytes !== null) step.outputBytes = event.output_bytes;
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

/**
 * The step runs again (replay, request_changes, resume) as its next attempt: its attempts so far stay as they are (one
 * still running or waiting is canceled: the box stops it), and a pending row for the next number becomes current.
 * A current row that never started is that next attempt already.
 */
function resetStep(model: RunModel, name: string, at: Date): void {
  const attempts = model.steps.get(name);
  const latest = attempts && latestOf(attempts);
  if (!latest || (latest.status === 'pending' && latest.startedAt === null)) return;
  if (latest.status === 'running' || latest.status === 'waiting_decision' || latest.status === 'pending') {
    Object.assign(latest, { status: 'canceled', finishedAt: latest.finishedAt ?? at } satisfies Partial<StepState>);
    touch(model, latest);
  }
  touch(model, stepRow(model, name, latest.attempt + 1));
}

function reopen(model: RunModel): void {
  model.run.finishedAt = null;
  model.run.durationMs = null;
  model.run.error = null;
  if (model.run.status === 'canceled' || isFinal(model.run.status)) model.run.status = 'running';
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
