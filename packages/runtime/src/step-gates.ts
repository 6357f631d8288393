import type { AgentStep, DecisionStep } from '@paddock/contracts';
import { isTerminal, type RunState } from './run-state';

/**
 * Whether a pending step may start: `wait` while any of its needs has not ended; once they all have, `skip` names
 * why it must not run (an upstream step that did not complete, a decision that chose another option or rejected),
 * or is absent when it may run. Pure: decided from the run's folded state alone.
 */
export function stepGate(
  state: RunState,
  def: AgentStep | DecisionStep,
): { wait: true } | { wait: false; skip?: string } {
  const needs = def.needs.map((n) => ({ name: n, state: state.steps.get(n) }));
  if (!needs.every((n) => n.state && isTerminal(n.state.status))) return { wait: true };
  const skippedNeed = needs.find((n) => n.state?.status !== 'complete');
  const skip = skippedNeed
    ? `upstream step ${skippedNeed.name} was ${skippedNeed.state?.status}`
    : whenBlocks(state, def);
  return skip === undefined ? { wait: false } : { wait: false, skip };
}

/** Why a step's `when` (or an upstream rejection) keeps it from running; undefined when it may run. */
function whenBlocks(state: RunState, def: AgentStep | DecisionStep): string | undefined {
  if (def.when) {
    const chosen = state.steps.get(def.when.decision)?.decision?.option;
    const wanted = Array.isArray(def.when.option) ? def.when.option : [def.when.option];
    return chosen !== undefined && wanted.includes(chosen) ? undefined : `${def.when.decision} chose ${chosen}`;
  }
  for (const need of def.needs) {
    const decision = state.steps.get(need)?.decision;
    if (decision?.option === 'reject') return `${need} was rejected by ${decision.by}`;
  }
  return undefined;
}
