import { type ChainDefinition, RUN_STEP, type RunEvent, topologicalOrder } from '@paddock/contracts';
import type { StartedStep } from './run-step';
import type { KillReason } from './launch-agent';
import { foldRunState, type RunState } from './run-state';

/** A step the daemon has taken in hand: queued for a slot, running, or having its ending event written. */
export interface ActiveStep {
  token: number;
  attempt: number;
  started?: StartedStep;
  phase: 'queued' | 'running' | 'writing';
  /** Its `started` event is in run.events (until then the step still reads pending or retrying). */
  startedWritten?: boolean;
  /** Why it was stopped, when that happened before its agent was forked. */
  stop?: KillReason;
}

/** The daemon's in-memory view of one run: a cache of its event files plus what the daemon is doing about it. */
export interface ActiveRun {
  runId: string;
  chain: ChainDefinition;
  order: string[];
  events: RunEvent[];
  state: RunState;
  active: Map<string, ActiveStep>;
  timers: Map<string, NodeJS.Timeout>;
  /** Serializes this run's event writes inside the daemon (the run lock serializes them across processes). */
  writes: Promise<unknown>;
  /** performance.now() at which each step's `complete`/`decided` was committed: start of the handoff clock. */
  committedAt: Map<string, number>;
  finishing: boolean;
  /** Highest seq written: the daemon is the runs' only writer while it runs, so this is the truth. */
  seq: number;
}

export function newActiveRun(runId: string, chain: ChainDefinition, events: RunEvent[], seq: number): ActiveRun {
  return {
    runId,
    chain,
    order: topologicalOrder(chain),
    events,
    state: foldRunState(runId, chain, events),
    active: new Map(),
    timers: new Map(),
    writes: Promise.resolve(),
    committedAt: new Map(),
    finishing: false,
    seq,
  };
}

/** A run nobody has started yet: its `created` event is all it has. */
export function isNewRun(events: readonly RunEvent[]): boolean {
  return events.length === 1 && events[0]?.step === RUN_STEP && events[0]?.kind === 'created';
}
