import { mkdirSync } from 'node:fs';
import type { Server } from 'node:net';
import {
  AppError,
  type AgentStep,
  type DecisionStep,
  isDecisionStep,
  RUN_STEP,
  type RunEvent,
} from '@paddock/contracts';
import { actionEvent } from './action-events';
import { type ActiveRun, type ActiveStep, isNewRun } from './active-run';
import { startAttachServer } from './attach-server';
import { clearIncoming } from './clear-incoming';
import { type BoxConfig, DEFAULT_IDLE_TIMEOUT, DEFAULT_STEP_TIMEOUT } from './box-config';
import type { RunAction } from './daemon-protocol';
import { decisionTimeoutEvent } from './decide';
import { EventCommitter } from './event-committer';
import { lastSeq, type NewEvent, readRunEvents, type StoredEvent } from './event-store';
import { ForkServer } from './fork-server';
import { type AgentSpawner, forkServerSpawner, type KillReason, nodeSpawner } from './launch-agent';
import { rootLayout, runLayout } from './paths';
import { precreateStepDirs } from './precreate-step-dirs';
import { killOrphan } from './recover';
import { type Refusal, RunAdmission } from './run-admission';
import { RunLoader } from './run-loader';
import { foldRunState, isTerminal } from './run-state';
import { SecretsFile } from './secrets-file';
import { decisionPendingEvent, interruptedEvent } from './step-events';
import { stepGate } from './step-gates';
import { StepLauncher } from './step-launcher';

/** Fork servers in the pool: two, so a burst of handoffs can fork on both cores of a small box. */
const FORK_SERVERS = 2;

export interface DaemonOptions {
  root: string;
  maxParallel: number;
  /** Period of the safety rescan (journal + runs directory). */
  rescanMs: number;
  baseEnv: Record<string, string>;
  log: (line: string) => void;
  /** How agents are forked: through the perl fork server (default when perl is present) or Node's spawn. */
  spawner?: 'fork-server' | 'node';
  /**
   * How events are made durable before they become visible: one fsync per event file (default), or one syncfs of
   * the filesystem per batch of events (group commit through the fork server).
   */
  barrier?: 'fsync' | 'syncfs';
  /** Box-wide watchdog defaults (`<root>/config.json`); the built-in ones when unset. */
  boxConfig?: BoxConfig;
}

/**
 * The daemon owns every run on the box: it launches each step whose needs are complete (in parallel where the graph
 * allows, under a box-wide limit), watches agents, retries, pauses for decisions and closes runs. Its state is only a
 * cache of the event files: it can be killed at any moment and rebuilt from them (see recover.ts).
 *
 * This file holds the lifecycle, the write chains and the scheduling. Finding and reading runs is run-loader.ts;
 * launching agents and recording how they end is step-launcher.ts; the events are derived in step-events.ts
 * (launches, alerts, decisions), outcome-events.ts (how an attempt ended) and action-events.ts (requests from other
 * processes).
 */
export class Daemon {
  readonly runs = new Map<string, ActiveRun>();
  private readonly queue: { run: ActiveRun; step: string; entry: ActiveStep }[] = [];
  private tokens = 0;
  private draining = false;
  private forkServers: ForkServer[] = [];
  private attachServer: Server | undefined;
  private spawner: AgentSpawner = nodeSpawner;
  private committer: EventCommitter | undefined;
  private readonly loader: RunLoader;
  private readonly launcher: StepLauncher;
  private readonly secrets: SecretsFile;
  /** Judges new runs against the plan caps the control plane left on the box. */
  private readonly admission: RunAdmission;
  /** Tags this daemon's journal lines, so it reacts only to events written by others. */
  private readonly writerId = `daemon-${process.pid}-${Date.now().toString(36)}`;
  private readonly boxConfig: BoxConfig;

  constructor(private readonly options: DaemonOptions) {
    this.boxConfig = options.boxConfig ?? { idle_timeout: DEFAULT_IDLE_TIMEOUT, timeout: DEFAULT_STEP_TIMEOUT };
    this.admission = new RunAdmission(options.root);
    this.secrets = new SecretsFile(options.root);
    this.loader = new RunLoader(
      {
        root: options.root,
        writerId: this.writerId,
        log: options.log,
        draining: () => this.draining,
        known: (runId) => this.runs.get(runId),
        open: (run, force) => this.open(run, force),
        adopt: (run, events) => this.adopt(run, events),
      },
      options.rescanMs,
    );
    this.launcher = new StepLauncher({
      root: options.root,
      baseEnv: options.baseEnv,
      boxConfig: this.boxConfig,
      spawner: () => this.spawner,
      secrets: () => this.secrets.values(),
      draining: () => this.draining,
      log: options.log,
      write: (run, event) => this.write(run, event),
      writeAll: (run, events) => this.writeAll(run, events),
      settle: (run, name) => this.settle(run, name),
      released: () => this.pump(),
    });
  }

  get stats() {
    const queued = this.queue.length;
    return {
      activeRuns: this.runs.size,
      runningSteps: this.launcher.running,
      queuedSteps: queued,
      draining: this.draining,
    };
  }

  async start(): Promise<void> {
    mkdirSync(rootLayout(this.options.root).runsDir, { recursive: true });
    const wanted = this.options.spawner ?? (ForkServer.available() ? 'fork-server' : 'node');
    if (wanted === 'fork-server') {
      const servers = Array.from({ length: FORK_SERVERS }, () => new ForkServer());
      for (const server of servers) server.start();
      const server = servers[0] as ForkServer;
      this.forkServers = servers;
      this.spawner = forkServerSpawner(servers);
      if (this.options.barrier === 'syncfs') {
        this.committer = new EventCommitter(this.options.root, this.writerId, () => server.syncFs(this.options.root));
      }
    }
    this.committer ??= new EventCommitter(this.options.root, this.writerId, undefined);
    this.options.log(`agents are forked by ${wanted === 'fork-server' ? 'the perl fork server' : "Node's spawn"}`);
    const cleared = clearIncoming(this.options.root);
    if (cleared > 0)
      this.options.log(`removed ${cleared} unfinished run creation(s) left in .incoming/ by killed writers`);
    await this.loader.start();
    this.attachServer = startAttachServer(this.options.root, {
      agentOf: (runId, step) => this.agentOf(runId, step),
      act: (action) => this.act(action),
      recordInput: (runId, step, by, text, bytes) => {
        const run = this.runs.get(runId);
        if (!run) return;
        void this.write(run, {
          step,
          kind: 'input',
          status: 'running',
          attempt: run.active.get(step)?.attempt || null,
          message: text,
          data: { by, bytes },
        });
      },
    });
  }

  /** Stops launching, waits for running steps up to `drainMs`, then stops the rest so the next daemon retries them. */
  async stop(drainMs: number): Promise<void> {
    this.draining = true;
    this.loader.stop();
    this.attachServer?.close();
    for (const run of this.runs.values()) for (const t of run.timers.values()) clearTimeout(t);
    const deadline = Date.now() + drainMs;
    while (this.launcher.running > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    for (const run of this.runs.values()) {
      for (const entry of run.active.values()) if (entry.phase === 'running') this.stopEntry(entry, 'shutdown');
    }
    while (this.launcher.running > 0) await new Promise((r) => setTimeout(r, 25));
    await Promise.all([...this.runs.values()].map((run) => run.writes));
    for (const server of this.forkServers) server.close();
  }

  /** The live agent of a running step (for attach). */
  agentOf(runId: string, step: string) {
    return this.runs.get(runId)?.active.get(step)?.started?.agent;
  }

  // ---- runs read from disk (run-loader.ts) ---------------------------------------------------------------------

  /** Takes in a run the loader read: admits it if new, recovers steps a dead daemon left running, schedules it. */
  private async open(run: ActiveRun, force: boolean): Promise<void> {
    // A new run is judged against the caps the box holds (run-admission.ts) before it counts as active: nothing
    // awaits between the count and `runs.set`, so runs are admitted one at a time.
    const refusal = !force && isNewRun(run.events) ? this.admission.judge(this.activeRuns()) : undefined;
    if (refusal) {
      await this.refuse(run, refusal);
      return;
    }
    this.runs.set(run.runId, run);
    if (!force && isNewRun(run.events)) precreateStepDirs(runLayout(this.options.root, run.runId), run.chain);
    // Steps that read running were running when a previous daemon died (this daemon runs nothing of a run it has
    // just opened): kill what may be left and retry them without charging a retry (the agent did not fail).
    for (const step of run.state.steps.values()) {
      if (step.status !== 'running') continue;
      killOrphan(step.pid, run.runId, step.name);
      await this.write(run, interruptedEvent(step.name, step.attempt, 'interrupted'));
    }
    // A run loaded to answer a request is evaluated once the request is applied (act), not before.
    if (!run.state.finished && !force) this.evaluate(run);
  }

  private adopt(run: ActiveRun, events: RunEvent[], stopSuperseded = true): void {
    run.events = events;
    run.state = foldRunState(run.runId, run.chain, events);
    // A step we are running that the events no longer call running (replayed, changes requested, cancelled) is stale.
    for (const [name, entry] of run.active) {
      const status = run.state.steps.get(name)?.status;
      if (entry.phase === 'running' && stopSuperseded && this.superseded(run, name, entry))
        this.stopEntry(entry, 'cancel');
      if (entry.phase === 'queued' && status !== 'pending' && status !== 'retrying') this.unqueue(run, name);
    }
    if (run.state.finished) {
      this.forget(run);
      return;
    }
    run.finishing = false;
    this.evaluate(run);
  }

  /**
   * Whether the events no longer call for a step this daemon is running. Until its `started` is written a launching
   * step still reads pending (or retrying): it stands as long as the scheduler would still launch it, i.e. its needs
   * are still complete (a replay or request_changes upstream takes them away). Once written, it must read running.
   */
  private superseded(run: ActiveRun, name: string, entry: ActiveStep): boolean {
    const step = run.state.steps.get(name);
    if (run.state.cancelled || !step) return true;
    if (entry.startedWritten) return step.status !== 'running';
    if (step.status !== 'pending' && step.status !== 'retrying') return true;
    const needs = run.chain.agents[name]?.needs ?? [];
    return needs.some((need) => run.state.steps.get(need)?.status !== 'complete');
  }

  /** Stops a running entry: kills its agent, or, before it is forked, keeps it from being forked at all. */
  private stopEntry(entry: ActiveStep, reason: KillReason): void {
    entry.stop ??= reason;
    entry.started?.agent.kill(reason);
  }

  // ---- writing events ------------------------------------------------------------------------------------------

  private write(run: ActiveRun, event: NewEvent): Promise<StoredEvent> {
    const stored = run.writes.then(() => this.commit(run, event));
    run.writes = stored.then(
      (s) => {
        run.events.push(s.event);
        run.state = foldRunState(run.runId, run.chain, run.events);
      },
      (error: unknown) => this.options.log(`run ${run.runId}: cannot write ${event.kind} event: ${String(error)}`),
    );
    return stored;
  }

  /** Writes events one after the other; stops at the first that fails. Resolves with the last one written. */
  private async writeAll(run: ActiveRun, events: NewEvent[]): Promise<StoredEvent | undefined> {
    let last: StoredEvent | undefined;
    for (const event of events) last = await this.write(run, event);
    return last;
  }

  /** Writes one event now; only from inside the run's write chain (run.writes). */
  private commit(run: ActiveRun, event: NewEvent): Promise<StoredEvent> {
    return (this.committer as EventCommitter).append(run.runId, ++run.seq, event);
  }

  // ---- requests from other processes (decide, replay, resume, cancel) ------------------------------------------

  /**
   * Applies a request from `chainctl` or `serve` (through the daemon socket) inside the run's write chain, checked
   * against the run's current events, so it is ordered with the daemon's own events and never races them.
   */
  async act(action: RunAction): Promise<StoredEvent> {
    let run = this.runs.get(action.run);
    if (!run) {
      await this.loader.load(action.run, true);
      run = this.runs.get(action.run);
      if (!run) throw new AppError('not_found', `run ${action.run} not found`);
    }
    const target = run;
    return new Promise<StoredEvent>((resolve, reject) => {
      target.writes = target.writes.then(async () => {
        try {
          resolve(await this.applyAction(target, action));
        } catch (error) {
          if (target.state.finished) this.forget(target); // loaded only to answer this request
          reject(error);
        }
      });
    });
  }

  private async applyAction(run: ActiveRun, action: RunAction): Promise<StoredEvent> {
    const event = actionEvent(run, action, {
      reread: (r) => {
        r.events = readRunEvents(this.options.root, r.runId).events;
        r.seq = Math.max(lastSeq(runLayout(this.options.root, r.runId).eventsDir), r.events.at(-1)?.seq ?? 0);
      },
      stop: (entry) => this.stopEntry(entry, 'cancel'),
    });
    const stored = await this.commit(run, event);
    run.events.push(stored.event);
    this.runs.set(run.runId, run);
    // A resume re-read the disk, where a step this daemon is starting may not show yet: it must not be stopped.
    this.adopt(run, run.events, action.op !== 'resume');
    return stored;
  }

  // ---- scheduling ----------------------------------------------------------------------------------------------

  private evaluate(run: ActiveRun): void {
    if (this.draining || run.finishing || run.state.finished) return;
    const { state, chain } = run;
    if (state.cancelled || [...state.steps.values()].some((s) => s.status === 'failed')) {
      for (const name of [...run.active.keys()]) this.unqueue(run, name);
      if (run.active.size === 0) this.finish(run);
      return;
    }
    for (const name of run.order) {
      if (run.active.has(name)) continue;
      const step = state.steps.get(name);
      const def = chain.agents[name];
      if (!step || !def) continue;
      if (step.status === 'pending') this.consider(run, name, def);
      else if (step.status === 'retrying') this.scheduleRetry(run, name);
      else if (step.status === 'waiting') this.armDecisionTimer(run, name, def as DecisionStep);
    }
    if (run.active.size === 0 && [...state.steps.values()].every((s) => isTerminal(s.status))) this.finish(run);
  }

  private consider(run: ActiveRun, name: string, def: AgentStep | DecisionStep): void {
    const gate = stepGate(run.state, def);
    if (gate.wait) return;
    const attempt = (run.state.steps.get(name)?.attempt ?? 0) + 1;
    if (gate.skip !== undefined) {
      this.track(run, name, 'writing');
      void this.write(run, { step: name, kind: 'skipped', status: 'skipped', attempt, error: gate.skip }).finally(() =>
        this.settle(run, name),
      );
      return;
    }
    if (isDecisionStep(def)) {
      this.track(run, name, 'writing');
      const { stepsDir } = runLayout(this.options.root, run.runId);
      void this.write(run, decisionPendingEvent(name, attempt, def, stepsDir)).finally(() => this.settle(run, name));
      return;
    }
    this.enqueue(run, name);
  }

  private track(run: ActiveRun, name: string, phase: ActiveStep['phase']): ActiveStep {
    const entry: ActiveStep = { token: ++this.tokens, attempt: 0, phase };
    run.active.set(name, entry);
    return entry;
  }

  /** A step's write landed: forget it and look at the run again. */
  private settle(run: ActiveRun, name: string): void {
    run.writes = run.writes.then(() => {
      run.active.delete(name);
      this.evaluate(run);
    });
  }

  private enqueue(run: ActiveRun, name: string): void {
    const entry = this.track(run, name, 'queued');
    entry.attempt = (run.state.steps.get(name)?.attempt ?? 0) + 1;
    this.queue.push({ run, step: name, entry });
    this.pump();
  }

  private unqueue(run: ActiveRun, name: string): void {
    const entry = run.active.get(name);
    if (entry?.phase !== 'queued') return;
    const index = this.queue.findIndex((q) => q.entry === entry);
    if (index >= 0) this.queue.splice(index, 1);
    run.active.delete(name);
  }

  private pump(): void {
    while (!this.draining && this.launcher.running < this.options.maxParallel && this.queue.length > 0) {
      const next = this.queue.shift();
      if (next) this.launcher.launch(next.run, next.step, next.entry);
    }
  }

  private scheduleRetry(run: ActiveRun, name: string): void {
    const notBefore = Date.parse(run.state.steps.get(name)?.retryNotBefore ?? '') || 0;
    const wait = notBefore - Date.now();
    if (wait <= 0) {
      this.enqueue(run, name);
      return;
    }
    if (run.timers.has(name)) return;
    run.timers.set(
      name,
      setTimeout(() => {
        run.timers.delete(name);
        if (!run.active.has(name) && run.state.steps.get(name)?.status === 'retrying') this.enqueue(run, name);
      }, wait),
    );
  }

  private armDecisionTimer(run: ActiveRun, name: string, def: DecisionStep): void {
    const deadline = run.state.steps.get(name)?.deadline;
    if (!deadline || run.timers.has(name)) return;
    const fire = () => {
      run.timers.delete(name);
      run.writes = run.writes.then(async () => {
        let event: NewEvent;
        try {
          event = decisionTimeoutEvent(run.chain, { events: run.events, files: [], malformed: [] }, name, def);
        } catch {
          return; // decided meanwhile by a person
        }
        const stored = await this.commit(run, event);
        run.events.push(stored.event);
        this.adopt(run, run.events);
      });
    };
    run.timers.set(name, setTimeout(fire, Math.max(0, Date.parse(deadline) - Date.now())));
  }

  private finish(run: ActiveRun): void {
    if (run.finishing) return;
    run.finishing = true;
    const status = run.state.status === 'running' || run.state.status === 'queued' ? 'failed' : run.state.status;
    void this.write(run, { step: RUN_STEP, kind: 'finished', status, message: `run ${status}` }).then(() => {
      if (run.state.finished) this.forget(run);
    });
  }

  /** Runs admitted and not finished (what a plan's concurrency limit counts). */
  private activeRuns(): number {
    let active = 0;
    for (const run of this.runs.values()) if (!run.state.finished) active++;
    return active;
  }

  /** Closes a run the caps refused: a `refused` event that says why, then `finished` (failed). */
  private async refuse(run: ActiveRun, refusal: Refusal): Promise<void> {
    this.options.log(`run ${run.runId}: refused: ${refusal.message}`);
    try {
      await this.commit(run, {
        step: RUN_STEP,
        kind: 'refused',
        status: 'failed',
        error: refusal.message,
        data: refusal.data,
      });
      await this.commit(run, { step: RUN_STEP, kind: 'finished', status: 'failed', error: refusal.message });
    } catch (error) {
      this.options.log(`run ${run.runId}: cannot write its refusal: ${String(error)}`);
    }
  }

  private forget(run: ActiveRun): void {
    for (const t of run.timers.values()) clearTimeout(t);
    this.runs.delete(run.runId);
  }
}
