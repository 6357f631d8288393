import { AppError, downstreamOf, eventFileName, RUN_STEP } from '@paddock/contracts';
import type { ActiveRun, ActiveStep } from './active-run';
import type { RunAction } from './daemon-protocol';
import { decideEvent } from './decide';
import type { NewEvent } from './event-store';

export interface ActionEffects {
  /** Re-reads the run's events from disk into `run` (a resume starts again from what is on disk). */
  reread(run: ActiveRun): void;
  /** Stops a running entry (its agent, or its launch before the fork). */
  stop(entry: ActiveStep): void;
}

/**
 * The event that applies a run action (decide, cancel, resume, replay) to a run as the daemon holds it, checked
 * against its current events; throws an AppError (conflict, not_found, ...) when the action does not apply. Called
 * inside the run's write chain, so the check and the write see the same events.
 */
export function actionEvent(run: ActiveRun, action: RunAction, effects: ActionEffects): NewEvent {
  switch (action.op) {
    case 'decide':
      return decideEvent(run.runId, run.chain, { events: run.events, files: [], malformed: [] }, action);
    case 'cancel':
      if (run.state.finished) throw new AppError('conflict', `run ${run.runId} is already ${run.state.status}`);
      if (run.state.cancelled) throw new AppError('conflict', `run ${run.runId} is already cancelled`);
      return { step: RUN_STEP, kind: 'cancelled', status: 'cancelled', message: 'cancelled' };
    case 'resume':
      // A person may have deleted event files by hand: start again from what is on disk.
      effects.reread(run);
      return { step: RUN_STEP, kind: 'resumed', status: 'running', message: 'resumed' };
    case 'replay': {
      if (!(action.from in run.chain.agents)) {
        throw new AppError('not_found', `step ${action.from} is not in run ${run.runId}'s chain`);
      }
      const steps = downstreamOf(run.chain, [action.from]);
      // The replaced attempts' events stay: history (the `replayed` event starts the steps' next round, and their
      // attempt numbers go on), and what the control plane has not collected yet is still there to collect.
      const files = run.events.filter((e) => steps.has(e.step)).map((e) => eventFileName(e.seq, e.step, e.kind));
      // Even one still launching (its `started` not written yet) belongs to the attempt being replayed.
      for (const step of steps) {
        const entry = run.active.get(step);
        if (entry?.phase === 'running') effects.stop(entry);
      }
      return {
        step: RUN_STEP,
        kind: 'replayed',
        status: 'running',
        message: `replay from ${action.from}: ${[...steps].sort().join(', ')}`,
        data: { from: action.from, steps: [...steps].sort(), replaced: files },
      };
    }
  }
}
