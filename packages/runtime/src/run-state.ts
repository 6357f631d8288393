import {
  type ChainDefinition,
  type DecisionRecord,
  downstreamOf,
  RUN_STEP,
  type RunEvent,
  type BoxRunStatus,
  type BoxStepStatus,
} from '@paddock/contracts';

/** What a run's events say, folded in seq order. Pure: the same events always give the same state. */
export interface StepState {
  name: string;
  status: BoxStepStatus;
  /**
   * Number of the step's latest attempt (0 before the first). Attempts are counted over the whole run: a retry, a
   * request_changes loop, a replay or a resume starts the next number, so every attempt keeps its own files and rows.
   */
  attempt: number;
  /** Failed attempts in the current round that count against `retries` (daemon restarts do not). */
  failures: number;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  durationSeconds: number | null;
  error: string | null;
  pid: number | null;
  retryNotBefore: string | null;
  deadline: string | null;
  decision: DecisionRecord | null;
  /** Notes of `request_changes` decisions aimed at this step, given to its next run. */
  notes: { by: string; note: string }[];
  outputPath: string | null;
  lastSeq: number;
}

export interface UsageTotals {
  input_tokens: number;
  output_tokens: number;
  tokens_used: number;
  cost_usd: number;
}

export interface RunState {
  runId: string;
  status: BoxRunStatus;
  /** A `finished` event closed the run (until a replay/resume/decision reopens it). */
  finished: boolean;
  cancelled: boolean;
  createdAt: string | null;
  updatedAt: string | null;
  lastSeq: number;
  chainVersion: string | null;
  steps: Map<string, StepState>;
  usage: UsageTotals;
}

function freshStep(name: string, notes: StepState['notes'] = [], attempt = 0): StepState {
  return {
    name,
    status: 'pending',
    attempt,
    failures: 0,
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    durationSeconds: null,
    error: null,
    pid: null,
    retryNotBefore: null,
    deadline: null,
    decision: null,
    notes,
    outputPath: null,
    lastSeq: 0,
  };
}

const TERMINAL: ReadonlySet<BoxStepStatus> = new Set(['complete', 'skipped', 'failed', 'cancelled']);
export function isTerminal(status: BoxStepStatus): boolean {
  return TERMINAL.has(status);
}

export function foldRunState(runId: string, chain: ChainDefinition, events: readonly RunEvent[]): RunState {
  const steps = new Map(Object.keys(chain.agents).map((name) => [name, freshStep(name)]));
  const state: RunState = {
    runId,
    status: 'queued',
    finished: false,
    cancelled: false,
    createdAt: null,
    updatedAt: null,
    lastSeq: 0,
    chainVersion: null,
    steps,
    usage: { input_tokens: 0, output_tokens: 0, tokens_used: 0, cost_usd: 0 },
  };
  let finishedStatus: BoxRunStatus | null = null;
  const reset = (names: Iterable<string>) => {
    // A new round of the step: its attempt count goes on (the replaced attempts stay on record under their numbers).
    for (const name of names) {
      const old = steps.get(name);
      steps.set(name, freshStep(name, old?.notes ?? [], old?.attempt ?? 0));
    }
  };
  for (const event of events) {
    state.lastSeq = event.seq;
    state.updatedAt = event.timestamp;
    addUsage(state.usage, event);
    if (event.step === RUN_STEP) {
      switch (event.kind) {
        case 'created':
          state.createdAt = event.timestamp;
          state.chainVersion = typeof event.data?.chain_version === 'string' ? event.data.chain_version : null;
          break;
        case 'finished':
          state.finished = true;
          finishedStatus = event.status as BoxRunStatus;
          break;
        case 'cancelled':
          state.cancelled = true;
          break;
        case 'replayed': {
          const from = typeof event.data?.from === 'string' ? event.data.from : undefined;
          if (from && steps.has(from)) reset(downstreamOf(chain, [from]));
          state.finished = false;
          break;
        }
        case 'resumed':
          state.finished = false;
          state.cancelled = false;
          reset(
            [...steps.values()].filter((s) => s.status === 'failed' || s.status === 'cancelled').map((s) => s.name),
          );
          break;
        default:
          break;
      }
      continue;
    }
    const step = steps.get(event.step);
    if (!step) continue; // an event for a step the frozen chain does not have: ignored, reported by status
    step.lastSeq = event.seq;
    switch (event.kind) {
      case 'started':
        step.status = 'running';
        step.attempt = event.attempt ?? step.attempt + 1;
        step.startedAt = event.timestamp;
        step.finishedAt = null;
        step.pid = typeof event.data?.pid === 'number' ? event.data.pid : null;
        step.error = null;
        break;
      case 'complete':
        Object.assign(step, finish(event), { status: 'complete' as const, outputPath: event.output_path });
        break;
      case 'error':
        Object.assign(step, finish(event), { status: 'failed' as const });
        break;
      case 'retry':
        Object.assign(step, finish(event), { status: 'retrying' as const });
        if (event.data?.counts !== false) step.failures += 1;
        step.retryNotBefore = typeof event.data?.not_before === 'string' ? event.data.not_before : null;
        break;
      case 'skipped':
        step.status = 'skipped';
        step.attempt = event.attempt ?? step.attempt + 1;
        step.finishedAt = event.timestamp;
        step.error = event.error;
        break;
      case 'decision_pending':
        step.status = 'waiting';
        step.attempt = event.attempt ?? step.attempt + 1;
        step.startedAt = event.timestamp;
        step.deadline = typeof event.data?.deadline === 'string' ? event.data.deadline : null;
        break;
      case 'decided': {
        step.status = 'complete';
        step.decision = event.decision;
        step.finishedAt = event.timestamp;
        if (event.decision?.option === 'request_changes') {
          const targets = Array.isArray(event.data?.targets) ? (event.data.targets as string[]) : [];
          const known = targets.filter((t) => steps.has(t));
          reset(downstreamOf(chain, known));
          for (const target of known) {
            steps.get(target)?.notes.push({ by: event.decision.by, note: event.decision.note ?? '' });
          }
          state.finished = false;
        }
        break;
      }
      case 'killed':
        // A kill that ends the attempt for good (cancel, replay) says so in its status; otherwise retry/error follows.
        if (event.status === 'cancelled' || event.status === 'pending') step.status = event.status;
        break;
      default:
        break; // alert, input: recorded, no change of state
    }
  }
  state.status = state.finished && finishedStatus ? finishedStatus : deriveStatus(state, chain);
  return state;
}

function finish(event: RunEvent): Partial<StepState> {
  return {
    finishedAt: event.timestamp,
    exitCode: event.exit_code,
    durationSeconds: event.duration_seconds,
    error: event.error,
  };
}

function addUsage(totals: UsageTotals, event: RunEvent): void {
  totals.input_tokens += event.input_tokens ?? 0;
  totals.output_tokens += event.output_tokens ?? 0;
  totals.tokens_used += event.tokens_used ?? 0;
  totals.cost_usd += event.cost_usd ?? 0;
}

function deriveStatus(state: RunState, chain: ChainDefinition): BoxRunStatus {
  const all = [...state.steps.values()];
  if (state.cancelled) return 'cancelled';
  if (all.some((s) => s.status === 'running' || s.status === 'retrying')) return 'running';
  if (all.some((s) => s.status === 'failed')) return 'failed';
  if (all.some((s) => s.status === 'waiting')) return 'waiting';
  if (all.every((s) => isTerminal(s.status))) {
    const rejected = all.some((s) => s.decision?.option === 'reject');
    return rejected ? 'rejected' : 'succeeded';
  }
  return all.some((s) => s.status !== 'pending') || chain === undefined ? 'running' : 'queued';
}
