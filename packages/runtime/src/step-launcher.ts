import type { AgentStep } from '@paddock/contracts';
import type { ActiveRun, ActiveStep } from './active-run';
import type { BoxConfig } from './box-config';
import type { NewEvent, StoredEvent } from './event-store';
import type { AgentSpawner } from './launch-agent';
import { outcomeEvents } from './outcome-events';
import { runLayout } from './paths';
import { prepareStep } from './prepare-step';
import { type StartedStep, type StepOutcome, startStep } from './run-step';
import { startedEvent, watchdogAlertEvent } from './step-events';
import { stepLimits } from './step-limits';

/** What the launcher needs from the daemon: where, with what, and how events are written and runs looked at again. */
export interface LauncherHost {
  readonly root: string;
  readonly baseEnv: Record<string, string>;
  readonly boxConfig: BoxConfig;
  spawner(): AgentSpawner;
  secrets(): Record<string, string>;
  draining(): boolean;
  log(line: string): void;
  write(run: ActiveRun, event: NewEvent): Promise<StoredEvent>;
  /** Writes events one after the other; stops at the first that fails. */
  writeAll(run: ActiveRun, events: NewEvent[]): Promise<StoredEvent | undefined>;
  /** A step's write landed: forget the entry and look at the run again. */
  settle(run: ActiveRun, name: string): void;
  /** A slot was given back: the next queued step may launch. */
  released(): void;
}

/**
 * Launches agent steps and records how they end: prepares the attempt's files, forks the agent, writes its `started`
 * (with the fork and handoff times), then the events outcome-events.ts derives from its outcome. Counts the slots in
 * use (`running`), which the daemon holds under its box-wide limit.
 */
export class StepLauncher {
  /** Slots taken: from the start of a launch until its outcome's events are queued for writing. */
  running = 0;

  constructor(private readonly host: LauncherHost) {}

  launch(run: ActiveRun, name: string, entry: ActiveStep): void {
    const def = run.chain.agents[name] as AgentStep;
    const stepState = run.state.steps.get(name);
    if (!stepState) return;
    const layout = runLayout(this.host.root, run.runId);
    const needsCommitted = def.needs.map((n) => run.committedAt.get(n));
    const handoff =
      needsCommitted.every((t) => t !== undefined) && needsCommitted.length > 0
        ? Math.max(...(needsCommitted as number[]))
        : undefined;
    const launchedAt = performance.now();
    // The slot is taken now: the step's files are prepared in the thread pool, then the agent is forked.
    entry.phase = 'running';
    this.running++;
    prepareStep(layout, run.chain, name, def, stepState, entry.attempt, {
      baseEnv: this.host.baseEnv,
      secrets: this.host.secrets(),
    }).then(
      (prepared) => {
        // Stopped while its files were prepared (cancel, replay, shutdown): nothing was started or written.
        if (entry.stop || this.host.draining()) return this.abandon(run, name, entry);
        let started: StartedStep;
        try {
          const limits = stepLimits(def, run.chain, this.host.boxConfig);
          const onWatchdog = (reason: 'idle' | 'timeout') =>
            void this.host.write(run, watchdogAlertEvent(name, entry.attempt, limits, reason));
          started = startStep(def, prepared, limits, onWatchdog, this.host.spawner());
        } catch (error) {
          return this.failToStart(run, name, entry, error);
        }
        this.follow(run, name, entry, def, started, launchedAt, handoff);
      },
      (error: unknown) => (entry.stop ? this.abandon(run, name, entry) : this.failToStart(run, name, entry, error)),
    );
  }

  /** Gives the slot of a launch that was stopped before its agent existed back; the step is looked at again. */
  private abandon(run: ActiveRun, name: string, entry: ActiveStep): void {
    this.running--;
    entry.phase = 'writing';
    if (run.active.get(name) === entry) this.host.settle(run, name);
    queueMicrotask(() => this.host.released());
  }

  private failToStart(run: ActiveRun, name: string, entry: ActiveStep, error: unknown): void {
    this.running--;
    this.host.log(`run ${run.runId} step ${name}: cannot start: ${(error as Error).message}`);
    entry.phase = 'writing';
    void this.host
      .write(run, {
        step: name,
        kind: 'error',
        status: 'failed',
        attempt: entry.attempt,
        error: `cannot start the agent: ${(error as Error).message}`,
      })
      .finally(() => this.host.settle(run, name));
    queueMicrotask(() => this.host.released());
  }

  /** Records the forked agent's `started` and, once it ends, its outcome. */
  private follow(
    run: ActiveRun,
    name: string,
    entry: ActiveStep,
    def: AgentStep,
    started: StartedStep,
    launchedAt: number,
    handoff: number | undefined,
  ): void {
    entry.started = started;
    // `started` is written once the agent is forked (its pid is in the event); the fsync of that event never delays
    // the agent. A crash before it lands means the step is simply started again.
    started.agent.started.then(
      ({ pid, forkedAtMs }) => {
        const forkedAt = forkedAtMs - performance.timeOrigin;
        const fork = {
          pid,
          forkedAtMs,
          forkMs: forkedAt - launchedAt,
          handoffMs: handoff === undefined ? undefined : forkedAt - handoff,
        };
        this.host.write(run, startedEvent(name, entry.attempt, def.model ?? null, fork)).then(
          () => {
            entry.startedWritten = true;
          },
          () => undefined,
        );
      },
      () => undefined, // the outcome reports the failure to start
    );
    void started.outcome.then(
      (outcome) => this.onOutcome(run, name, entry, def, outcome),
      (error: unknown) =>
        this.onOutcome(run, name, entry, def, {
          ok: false,
          exitCode: null,
          error: `runtime error: ${String(error)}`,
          killedBy: null,
          usage: { model: null, input_tokens: 0, output_tokens: 0, cost_usd: null, reported: false },
          durationSeconds: (performance.now() - launchedAt) / 1000,
          outputPath: '',
          outputBytes: null,
        }),
    );
  }

  private onOutcome(run: ActiveRun, name: string, entry: ActiveStep, def: AgentStep, outcome: StepOutcome): void {
    this.running--;
    entry.phase = 'writing';
    // The slot is given to the next queued step only after this step's ending event is queued for writing, so the
    // event log never shows more steps running at once than the limit.
    queueMicrotask(() => this.host.released());
    const events = outcomeEvents({
      step: name,
      attempt: entry.attempt,
      def,
      outcome,
      superseded: run.active.get(name) !== entry,
      cancelled: run.state.cancelled,
      failures: run.state.steps.get(name)?.failures ?? 0,
    });
    void this.host
      .writeAll(run, events)
      .then((last) => {
        // The handoff clock of the steps that need this one starts when its `complete` is durable.
        if (last?.event.kind === 'complete') run.committedAt.set(name, performance.now());
      })
      .finally(() => {
        if (run.active.get(name) === entry) this.host.settle(run, name);
      });
  }
}
