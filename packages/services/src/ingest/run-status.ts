import type { RunEvent } from '@paddock/contracts';
import { type DecisionStatus, latestOf, type RunModel, type RunStatus } from './run-model';

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

/** A step's status is its current (latest) attempt's; earlier attempts are history. */
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

export function finalStatus(status: string): RunStatus {
  switch (status) {
    case 'succeeded':
      return 'succeeded';
    case 'cancelled':
      return 'canceled';
    default:
      return 'failed'; // failed, rejected (the run stopped at a rejecting decision)
  }
}

export const REJECTED_BY = 'rejected by ';

/** Why a run that ended as failed did: the rejecting decision, else the current attempt that failed. */
export function failureOf(model: RunModel, event: RunEvent): string {
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

export function isFinal(status: RunStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled';
}

export function decisionStatus(option: string): DecisionStatus {
  if (option === 'approve') return 'approved';
  if (option === 'reject') return 'rejected';
  if (option === 'request_changes') return 'changes_requested';
  // A chain's own option name (e.g. "ship"): the decision was made and the run goes on; the option is kept in
  // the decision's subject.
  return 'approved';
}
