import { AppError, downstreamOf, RUN_STEP } from '@paddock/contracts';
import type { RunAction } from './daemon-protocol';
import { actViaDaemon } from './daemon-client';
import { daemonStatus } from './daemon-state';
import { decideEvent } from './decide';
import { appendEvent, type StoredEvent } from './event-store';
import { readRunChain } from './read-run';
import { foldRunState } from './run-state';

/**
 * Operations a person or the control plane applies to a run. While a daemon runs it is the only writer of events, so
 * these are handed to it (daemon-client.ts) and ordered with its own writes. Without a daemon they are written here,
 * checked under the run lock; the daemon is checked again under that lock, so one that just started is not raced.
 */
class DaemonTookOver extends Error {}

async function perform(root: string, action: RunAction, direct: (guard: () => void) => Promise<StoredEvent>) {
  if (daemonStatus(root).running) return actViaDaemon(root, action);
  try {
    return await direct(() => {
      if (daemonStatus(root).running) throw new DaemonTookOver();
    });
  } catch (error) {
    if (error instanceof DaemonTookOver) return actViaDaemon(root, action);
    throw error;
  }
}

export function decide(
  root: string,
  runId: string,
  input: { step: string; option: string; by: string; note: string | null },
): Promise<StoredEvent> {
  const chain = readRunChain(root, runId);
  return perform(root, { op: 'decide', run: runId, ...input }, (guard) =>
    appendEvent(root, runId, undefined, {
      decide: (current) => {
        guard();
        return decideEvent(runId, chain, current, input);
      },
    }),
  );
}

/**
 * Records a `replayed` event for `from` and every step downstream of it; the daemon re-runs them as their next
 * attempts. Their earlier events and attempt files stay as history (the event lists them as `replaced`); everything
 * else (upstream outputs, other branches) is untouched.
 */
export function replay(root: string, runId: string, from: string): Promise<StoredEvent> {
  const chain = readRunChain(root, runId);
  if (!(from in chain.agents)) throw new AppError('not_found', `step ${from} is not in run ${runId}'s chain`);
  const steps = downstreamOf(chain, [from]);
  return perform(root, { op: 'replay', run: runId, from }, (guard) =>
    appendEvent(root, runId, undefined, {
      decide: (current) => {
        guard();
        const files = current.files.filter((_, i) => steps.has(current.events[i]?.step ?? ''));
        return {
          step: RUN_STEP,
          kind: 'replayed',
          status: 'running',
          message: `replay from ${from}: ${[...steps].sort().join(', ')}`,
          data: { from, steps: [...steps].sort(), replaced: files },
        };
      },
    }),
  );
}

/** Picks a run up again: failed or cancelled steps are retried, steps whose events a person deleted are re-run. */
export function resume(root: string, runId: string): Promise<StoredEvent> {
  readRunChain(root, runId);
  return perform(root, { op: 'resume', run: runId }, (guard) =>
    appendEvent(root, runId, undefined, {
      decide: () => {
        guard();
        return { step: RUN_STEP, kind: 'resumed', status: 'running', message: 'resumed' };
      },
    }),
  );
}

export function cancel(root: string, runId: string): Promise<StoredEvent> {
  const chain = readRunChain(root, runId);
  return perform(root, { op: 'cancel', run: runId }, (guard) =>
    appendEvent(root, runId, undefined, {
      decide: (current) => {
        guard();
        const state = foldRunState(runId, chain, current.events);
        if (state.finished) throw new AppError('conflict', `run ${runId} is already ${state.status}`);
        if (state.cancelled) throw new AppError('conflict', `run ${runId} is already cancelled`);
        return { step: RUN_STEP, kind: 'cancelled', status: 'cancelled', message: 'cancelled' };
      },
    }),
  );
}
