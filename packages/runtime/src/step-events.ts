import { type DecisionStep, durationMs } from '@paddock/contracts';
import type { NewEvent } from './event-store';
import type { StepLimits } from './step-limits';

/**
 * The events the daemon writes about a step other than its outcome (outcome-events.ts): each built here, once, so
 * the same fact reads the same in every place that records it.
 */

/**
 * A step stopped by the daemon itself, not by its agent: found running after a daemon died (`interrupted`) or
 * stopped by a daemon shutting down (`shutdown`). It is retried at once and the retry is not charged (`counts: false`).
 */
export function interruptedEvent(step: string, attempt: number | null, reason: 'interrupted' | 'shutdown'): NewEvent {
  return {
    step,
    kind: 'retry',
    status: 'retrying',
    attempt,
    error: 'interrupted: the daemon stopped while the step was running',
    data: { counts: false, not_before: new Date().toISOString(), reason },
  };
}

/** The agent was forked: its pid, when, and how long the launch (and the handoff from its needs) took. */
export function startedEvent(
  step: string,
  attempt: number,
  model: string | null,
  fork: { pid: number; forkedAtMs: number; forkMs: number; handoffMs: number | undefined },
): NewEvent {
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    step,
    kind: 'started',
    status: 'running',
    attempt,
    model,
    data: {
      pid: fork.pid,
      // The event's own timestamp is when it was written; this is when the agent was actually forked.
      forked_at: new Date(fork.forkedAtMs).toISOString(),
      fork_ms: round(fork.forkMs),
      ...(fork.handoffMs === undefined ? {} : { handoff_ms: round(fork.handoffMs) }),
    },
  };
}

/**
 * The watchdog's `alert`, written before the kill (then `killed`, then `retry` or `error`). `data` says which limit
 * fired and its value, so the control plane can turn it into an alert row without parsing the message.
 */
export function watchdogAlertEvent(
  step: string,
  attempt: number,
  limits: StepLimits,
  reason: 'idle' | 'timeout',
): NewEvent {
  const limit = reason === 'idle' ? limits.idle : limits.timeout;
  const message =
    reason === 'idle'
      ? `no terminal output for ${limit?.text}; killing the agent`
      : `step ran longer than its timeout of ${limit?.text}; killing the agent`;
  return {
    step,
    kind: 'alert',
    status: 'running',
    attempt,
    message,
    data: { watchdog: reason, limit: limit?.text ?? null, limit_ms: limit?.ms ?? null },
  };
}

/** A decision step's turn came: what is asked, of whom, and until when. */
export function decisionPendingEvent(step: string, attempt: number, def: DecisionStep, stepsDir: string): NewEvent {
  const timeoutMs = def.decision.timeout ? durationMs(def.decision.timeout) : undefined;
  const show = def.decision.show;
  return {
    step,
    kind: 'decision_pending',
    status: 'waiting',
    attempt,
    message: def.decision.prompt,
    output_path: show ? `${stepsDir}/${show}/output` : null,
    data: {
      prompt: def.decision.prompt,
      options: def.decision.options,
      approvers: def.decision.approvers ?? null,
      show: show ?? null,
      deadline: timeoutMs === undefined ? null : new Date(Date.now() + timeoutMs).toISOString(),
      on_timeout: def.decision.on_timeout ?? null,
    },
  };
}
