import { AppError, type ChainDefinition, type DecisionStep, isDecisionStep } from '@paddock/contracts';
import type { NewEvent, RunEvents } from './event-store';
import { foldRunState } from './run-state';

function decisionOf(chain: ChainDefinition, step: string): DecisionStep {
  const def = chain.agents[step];
  if (!def) throw new AppError('not_found', `step ${step} is not in this run's chain`);
  if (!isDecisionStep(def)) throw new AppError('bad_request', `step ${step} is not a decision step`);
  return def;
}

/**
 * The `decided` event for a person's decision, checked against the run's current events under the run lock, so a
 * second decision, a decision after the deadline or from someone not in `approvers` is refused, never written.
 */
export function decideEvent(
  runId: string,
  chain: ChainDefinition,
  current: RunEvents,
  input: { step: string; option: string; by: string; note: string | null },
  now = Date.now(),
): NewEvent {
  const def = decisionOf(chain, input.step);
  const state = foldRunState(runId, chain, current.events);
  const step = state.steps.get(input.step);
  if (!def.decision.options.includes(input.option)) {
    throw new AppError(
      'bad_request',
      `"${input.option}" is not an option of ${input.step}: ${def.decision.options.join(', ')}`,
    );
  }
  if (def.decision.approvers && !def.decision.approvers.includes(input.by)) {
    throw new AppError(
      'forbidden',
      `${input.by} may not decide ${input.step} (approvers: ${def.decision.approvers.join(', ')})`,
    );
  }
  if (state.cancelled) throw new AppError('conflict', `run ${runId} is cancelled`);
  if (step?.decision) {
    const d = step.decision;
    if (d.timed_out)
      throw new AppError('conflict', `${input.step} timed out at ${step.finishedAt}; "${d.option}" was applied`);
    throw new AppError('conflict', `${input.step} was already decided: ${d.option} by ${d.by} at ${step.finishedAt}`);
  }
  if (step?.status !== 'waiting') {
    throw new AppError('conflict', `${input.step} is not waiting for a decision (it is ${step?.status ?? 'unknown'})`);
  }
  if (step.deadline && now > Date.parse(step.deadline)) {
    throw new AppError('conflict', `${input.step} timed out at ${step.deadline}; its on_timeout applies`);
  }
  const targets = input.option === 'request_changes' ? (def.decision.show ? [def.decision.show] : def.needs) : [];
  return {
    step: input.step,
    kind: 'decided',
    status: 'complete',
    attempt: step.attempt || null,
    message: input.note,
    decision: { option: input.option, by: input.by, note: input.note, timed_out: false },
    data: targets.length > 0 ? { targets } : null,
  };
}

/** Written by the daemon when a decision's timeout passes: `on_timeout` (default reject), or the step fails. */
export function decisionTimeoutEvent(
  chain: ChainDefinition,
  current: RunEvents,
  name: string,
  def: DecisionStep,
): NewEvent {
  const runId = current.events[0]?.run_id ?? '';
  const step = foldRunState(runId, chain, current.events).steps.get(name);
  if (step?.status !== 'waiting') throw new AppError('conflict', 'decision is no longer pending');
  const option = def.decision.on_timeout ?? (def.decision.options.includes('reject') ? 'reject' : undefined);
  if (option === undefined) {
    return {
      step: name,
      kind: 'error',
      status: 'failed',
      attempt: step.attempt || null,
      error: `no decision before ${step.deadline} and no on_timeout`,
    };
  }
  const targets = option === 'request_changes' ? (def.decision.show ? [def.decision.show] : def.needs) : [];
  return {
    step: name,
    kind: 'decided',
    status: 'complete',
    attempt: step.attempt || null,
    message: `timed out at ${step.deadline}`,
    decision: { option, by: 'timeout', note: null, timed_out: true },
    data: targets.length > 0 ? { targets } : null,
  };
}
