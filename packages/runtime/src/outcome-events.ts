import type { AgentStep } from '@paddock/contracts';
import { backoffMs } from './backoff';
import type { NewEvent } from './event-store';
import type { StepOutcome } from './run-step';
import { interruptedEvent } from './step-events';

export interface OutcomeContext {
  step: string;
  attempt: number;
  def: AgentStep;
  outcome: StepOutcome;
  /** The events no longer call for this attempt (replayed, changes requested, cancelled) or another took its place. */
  superseded: boolean;
  /** The run was cancelled. */
  cancelled: boolean;
  /** Failures of this step so far, this attempt not counted. */
  failures: number;
}

/**
 * Derives the events that record how an agent's attempt ended, in the order they are written: `complete`; or
 * `killed` (when it was killed) then `retry` or `error`; or, for a daemon shutting down, `killed` then an
 * uncharged retry. Pure: the daemon writes them one after the other and stops at the first that fails.
 */
export function outcomeEvents(ctx: OutcomeContext): NewEvent[] {
  const { step, attempt, def, outcome } = ctx;
  const usage = outcome.usage;
  const common = {
    step,
    attempt,
    exit_code: outcome.exitCode,
    duration_seconds: outcome.durationSeconds,
    output_path: outcome.outputPath || null,
    output_bytes: outcome.outputBytes,
    model: usage.model,
    input_tokens: usage.reported ? usage.input_tokens : null,
    output_tokens: usage.reported ? usage.output_tokens : null,
    tokens_used: usage.reported ? usage.input_tokens + usage.output_tokens : null,
    cost_usd: usage.cost_usd,
  };
  if (outcome.killedBy === 'shutdown') {
    return [
      { ...common, kind: 'killed', status: 'running', error: 'the daemon is stopping' },
      interruptedEvent(step, attempt, 'shutdown'),
    ];
  }
  if (ctx.superseded || outcome.killedBy === 'cancel') {
    const status = ctx.cancelled ? 'cancelled' : 'pending';
    const error = ctx.cancelled ? 'stopped: the run was cancelled' : 'stopped: the run was replayed or changed';
    return [{ ...common, kind: 'killed', status, error }];
  }
  if (outcome.ok) return [{ ...common, kind: 'complete', status: 'complete' }];
  const killed: NewEvent[] = outcome.killedBy
    ? [{ ...common, kind: 'killed', status: 'running', error: outcome.error }]
    : [];
  const failures = ctx.failures + 1;
  if (failures <= def.retries) {
    const delay = backoffMs(def, failures);
    return [
      ...killed,
      {
        ...common,
        kind: 'retry',
        status: 'retrying',
        error: outcome.error,
        data: { not_before: new Date(Date.now() + delay).toISOString(), retries_left: def.retries - failures },
      },
    ];
  }
  const tries = def.retries > 0 ? ` (after ${def.retries + 1} attempts)` : '';
  return [...killed, { ...common, kind: 'error', status: 'failed', error: `${outcome.error}${tries}` }];
}
