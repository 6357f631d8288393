import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  AppError,
  type AgentStep,
  downstreamOf,
  type EventKind,
  eventFileName,
  type ChainDefinition,
  type DecisionStep,
  durationMs,
  isDecisionStep,
  parseEventFileName,
  RUN_STEP,
  topologicalOrder,
} from '@paddock/contracts';
import type { Server } from 'node:net';
import { startAttachServer } from './attach-server';
import { backoffMs } from './backoff';
import { type BoxConfig, DEFAULT_IDLE_TIMEOUT, DEFAULT_STEP_TIMEOUT } from './box-config';
import { decideEvent, decisionTimeoutEvent } from './decide';
import { EventCommitter } from './event-committer';
import { lastSeq, type NewEvent, parseEventFile, readRunEvents, type StoredEvent } from './event-store';
import { ForkServer } from './fork-server';
import { JournalFollower } from './follow-journal';
import { JournalReconciler } from './reconcile-journal';
import type { JournalEntry } from './journal';
import { type AgentSpawner, forkServerSpawner, type KillReason, nodeSpawner } from './launch-agent';
import { parseEnvFile, prepareStep } from './prepare-step';
import { isValidRunId, rootLayout, runLayout } from './paths';
import { readRunChain } from './read-run';
import { killOrphan } from './recover';
import { foldRunState, isTerminal, type RunState } from './run-state';
import { type Refusal, RunAdmission } from './run-admission';
import { type StartedStep, type StepOutcome, startStep } from './run-step';
import { type StepLimits, stepLimits } from './step-limits';

/** What other processes ask the daemon to do to a run (see run-actions.ts). */
export type RunAction =
  | { op: 'decide'; run: string; step: string; option: string; by: string; note: string | null }
  | { op: 'replay'; run: string; from: string }
  | { op: 'resume'; run: string }
  | { op: 'cancel'; run: string };

/** Runs loaded by a rescan between two turns of the event loop. */
const LOAD_BATCH = 8;

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

interface ActiveStep {
  token: number;
  attempt: number;
  started?: StartedStep;
  phase: 'queued' | 'running' | 'writing';
  /** Its `started` event is in run.events (until then the step still reads pending or retrying). */
  startedWritten?: boolean;
  /** Why it was stopped, when that happened before its agent was forked. */
  stop?: KillReason;
}

interface ActiveRun {
  runId: string;
  chain: ChainDefinition;
  order: string[];
  events: import('@paddock/contracts').RunEvent[];
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

/**
 * The daemon owns every run on the box: it launches each step whose needs are complete (in parallel where the graph
 * allows, under a box-wide limit), watches agents, retries, pauses for decisions and closes runs. Its state is only a
 * cache of the event files: it can be killed at any moment and rebuilt from them (see recover.ts).
 */
export class Daemon {
  readonly runs = new Map<string, ActiveRun>();
  private readonly queue: { run: ActiveRun; step: string; entry: ActiveStep }[] = [];
  private running = 0;
  private tokens = 0;
  private draining = false;
  private follower: JournalFollower | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private secretsCache: { mtimeMs: number; values: Record<string, string> } | undefined;
  private forkServers: ForkServer[] = [];
  private reconciler: JournalReconciler | undefined;
  private attachServer: Server | undefined;
  private spawner: AgentSpawner = nodeSpawner;
  private committer: EventCommitter | undefined;
  /** Runs being loaded, so two triggers (journal, rescan, a request) load a run once. */
  private readonly loading = new Map<string, Promise<void>>();
  /** Judges new runs against the plan caps the control plane left on the box. */
  private readonly admission: RunAdmission;
  /** Tags this daemon's journal lines, so it reacts only to events written by others. */
  private readonly writerId = `daemon-${process.pid}-${Date.now().toString(36)}`;

  private readonly boxConfig: BoxConfig;

  constructor(private readonly options: DaemonOptions) {
    this.boxConfig = options.boxConfig ?? { idle_timeout: DEFAULT_IDLE_TIMEOUT, timeout: DEFAULT_STEP_TIMEOUT };
    this.admission = new RunAdmission(options.root);
  }

  get stats() {
    const queued = this.queue.length;
    return { activeRuns: this.runs.size, runningSteps: this.running, queuedSteps: queued, draining: this.draining };
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
    this.follower = new JournalFollower(this.options.root, (entries) => this.onJournal(entries), this.options.rescanMs);
    this.reconciler = new JournalReconciler(this.options.root);
    await this.rescan(true);
    this.reconciler = undefined;
    this.follower.start();
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
    this.rescanTimer = setInterval(() => void this.rescan(false), this.options.rescanMs);
  }

  /** Stops launching, waits for running steps up to `drainMs`, then stops the rest so the next daemon retries them. */
  async stop(drainMs: number): Promise<void> {
    this.draining = true;
    this.follower?.stop();
    this.attachServer?.close();
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    for (const run of this.runs.values()) for (const t of run.timers.values()) clearTimeout(t);
    const deadline = Date.now() + drainMs;
    while (this.running > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    for (const run of this.runs.values()) {
      for (const entry of run.active.values()) if (entry.phase === 'running') this.stopEntry(entry, 'shutdown');
    }
    while (this.running > 0) await new Promise((r) => setTimeout(r, 25));
    await Promise.all([...this.runs.values()].map((run) => run.writes));
    for (const server of this.forkServers) server.close();
  }

  // ---- discovering runs and external changes -------------------------------------------------------------------

  private async rescan(initial: boolean): Promise<void> {
    if (this.draining) return;
    this.follower?.readNow();
    const { runsDir } = rootLayout(this.options.root);
    let names: string[];
    try {
      names = readdirSync(runsDir);
    } catch {
      names = [];
    }
    let loaded = 0;
    const fresh: string[] = [];
    for (const runId of names) {
      if (!isValidRunId(runId)) continue;
      const known = this.runs.get(runId);
      const last = lastEventName(runLayout(this.options.root, runId).eventsDir);
      if (known) {
        if (last && last.seq > known.seq) this.reload(runId); // someone else wrote: our own seqs are <= known.seq
        continue;
      }
      if (!last) continue;
      if (last.step === RUN_STEP && last.kind === 'finished') {
        this.reconcileFinished(runId, last);
        continue;
      }
      // At a restart, runs already admitted are loaded first, so new ones are judged against all of them.
      if (initial && last.seq === 1 && last.kind === 'created') {
        fresh.push(runId);
        continue;
      }
      await this.load(runId, initial);
      // Loading launches the run's first steps. With hundreds of runs waiting (a restart, a burst of submissions),
      // the loop must still hear forks and exits in between, or early agents' handoffs wait for the whole pass.
      if (++loaded % LOAD_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    for (const runId of fresh) {
      await this.load(runId, initial);
      if (++loaded % LOAD_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** A finished run is not loaded, but its `finished` event may be the one a crash kept out of the journal. */
  private reconcileFinished(runId: string, last: { seq: number; step: string; kind: string }): void {
    if (!this.reconciler) return;
    const file = eventFileName(last.seq, last.step, last.kind as EventKind);
    if (this.reconciler.has(runId, file)) return;
    const parsed = parseEventFile(join(runLayout(this.options.root, runId).eventsDir, file));
    if (parsed.ok) this.reconciler.check(runId, { event: parsed.event, file });
  }

  private onJournal(entries: JournalEntry[]): void {
    const touched = new Set<string>();
    for (const entry of entries) if (entry.writer !== this.writerId) touched.add(entry.run);
    for (const runId of touched) {
      if (this.runs.has(runId)) this.reload(runId);
      else if (isValidRunId(runId)) void this.load(runId, false);
    }
  }

  private load(runId: string, recovering: boolean, force = false): Promise<void> {
    const inFlight = this.loading.get(runId);
    if (inFlight) return inFlight;
    const loading = this.loadNow(runId, recovering, force).finally(() => this.loading.delete(runId));
    this.loading.set(runId, loading);
    return loading;
  }

  private async loadNow(runId: string, recovering: boolean, force: boolean): Promise<void> {
    if (this.runs.has(runId) || this.draining) return;
    // A chainctl that started writing before this daemon claimed the pidfile finishes under the run lock first.
    const { lockFile } = runLayout(this.options.root, runId);
    for (let i = 0; i < 2_000 && existsSync(lockFile); i++) await new Promise((r) => setTimeout(r, 5));
    let chain: ChainDefinition;
    try {
      chain = readRunChain(this.options.root, runId);
    } catch (error) {
      this.options.log(`run ${runId}: cannot load: ${(error as Error).message}`);
      return;
    }
    const { events, files, malformed } = readRunEvents(this.options.root, runId);
    for (const bad of malformed) this.options.log(`run ${runId}: skipped malformed event ${bad.file}: ${bad.error}`);
    const lastEvent = events.at(-1);
    const lastFile = files.at(-1);
    if (this.reconciler?.check(runId, lastEvent && lastFile ? { event: lastEvent, file: lastFile } : undefined)) {
      this.options.log(`run ${runId}: listed ${lastFile} in the journal (a writer stopped before it could)`);
    }
    if (!events.some((e) => e.kind === 'created')) return;
    const run: ActiveRun = {
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
      seq: Math.max(lastSeq(runLayout(this.options.root, runId).eventsDir), events.at(-1)?.seq ?? 0),
    };
    if (run.state.finished && !force) return;
    // A new run is judged against the caps the box holds (run-admission.ts) before it counts as active: nothing
    // awaits between the count and `runs.set`, so runs are admitted one at a time.
    const refusal = !force && isNewRun(events) ? this.admission.judge(this.activeRuns()) : undefined;
    if (refusal) {
      await this.refuse(run, refusal);
      return;
    }
    this.runs.set(runId, run);
    // Steps that were running when a previous daemon died: their `started` has no end. Kill what may be left and
    // retry them without charging a retry (the agent did not fail).
    for (const step of run.state.steps.values()) {
      if (step.status !== 'running') continue;
      if (recovering || !run.active.has(step.name)) {
        killOrphan(step.pid, runId, step.name);
        await this.write(run, {
          step: step.name,
          kind: 'retry',
          status: 'retrying',
          attempt: step.attempt,
          error: 'interrupted: the daemon stopped while the step was running',
          data: { counts: false, not_before: new Date().toISOString(), reason: 'interrupted' },
        });
      }
    }
    // A run loaded to answer a request is evaluated once the request is applied (act), not before.
    if (!run.state.finished && !force) this.evaluate(run);
  }

  /** Re-reads a run from disk after another process wrote to it (decide, replay, resume, cancel, a person). */
  private reload(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    run.writes = run.writes.then(() => {
      const { events } = readRunEvents(this.options.root, runId);
      run.seq = Math.max(run.seq, lastSeq(runLayout(this.options.root, runId).eventsDir));
      this.adopt(run, events);
    });
  }

  private adopt(run: ActiveRun, events: ActiveRun['events'], stopSuperseded = true): void {
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
      await this.load(action.run, false, true);
      run = this.runs.get(action.run);
      if (!run) throw new AppError('not_found', `run ${action.run} not found`);
    }
    const target = run;
    return new Promise<StoredEvent>((resolve, reject) => {
      target.writes = target.writes.then(async () => {
        try {
          const stored = await this.applyAction(target, action);
          resolve(stored);
        } catch (error) {
          if (target.state.finished) this.forget(target); // loaded only to answer this request
          reject(error);
        }
      });
    });
  }

  private async applyAction(run: ActiveRun, action: RunAction): Promise<StoredEvent> {
    const current = () => ({ events: run.events, files: [], malformed: [] });
    let event: NewEvent;
    switch (action.op) {
      case 'decide':
        event = decideEvent(run.runId, run.chain, current(), action);
        break;
      case 'cancel':
        if (run.state.finished) throw new AppError('conflict', `run ${run.runId} is already ${run.state.status}`);
        if (run.state.cancelled) throw new AppError('conflict', `run ${run.runId} is already cancelled`);
        event = { step: RUN_STEP, kind: 'cancelled', status: 'cancelled', message: 'cancelled' };
        break;
      case 'resume': {
        // A person may have deleted event files by hand: start again from what is on disk.
        run.events = readRunEvents(this.options.root, run.runId).events;
        run.seq = Math.max(lastSeq(runLayout(this.options.root, run.runId).eventsDir), run.events.at(-1)?.seq ?? 0);
        event = { step: RUN_STEP, kind: 'resumed', status: 'running', message: 'resumed' };
        break;
      }
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
          if (entry?.phase === 'running') this.stopEntry(entry, 'cancel');
        }
        event = {
          step: RUN_STEP,
          kind: 'replayed',
          status: 'running',
          message: `replay from ${action.from}: ${[...steps].sort().join(', ')}`,
          data: { from: action.from, steps: [...steps].sort(), replaced: files },
        };
        break;
      }
    }
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
      else if (step.status === 'retrying') this.scheduleRetry(run, name, def as AgentStep);
      else if (step.status === 'waiting') this.armDecisionTimer(run, name, def as DecisionStep);
    }
    if (run.active.size === 0 && [...state.steps.values()].every((s) => isTerminal(s.status))) this.finish(run);
  }

  private consider(run: ActiveRun, name: string, def: AgentStep | DecisionStep): void {
    const needs = def.needs.map((n) => ({ name: n, state: run.state.steps.get(n) }));
    if (!needs.every((n) => n.state && isTerminal(n.state.status))) return;
    const skippedNeed = needs.find((n) => n.state?.status !== 'complete');
    const reason = skippedNeed
      ? `upstream step ${skippedNeed.name} was ${skippedNeed.state?.status}`
      : this.whenBlocks(run, def);
    if (reason) {
      this.track(run, name, 'writing');
      const attempt = (run.state.steps.get(name)?.attempt ?? 0) + 1;
      void this.write(run, { step: name, kind: 'skipped', status: 'skipped', attempt, error: reason }).finally(() =>
        this.settle(run, name),
      );
      return;
    }
    if (isDecisionStep(def)) {
      this.track(run, name, 'writing');
      const timeoutMs = def.decision.timeout ? durationMs(def.decision.timeout) : undefined;
      const show = def.decision.show;
      void this.write(run, {
        step: name,
        kind: 'decision_pending',
        status: 'waiting',
        attempt: (run.state.steps.get(name)?.attempt ?? 0) + 1,
        message: def.decision.prompt,
        output_path: show ? runLayout(this.options.root, run.runId).stepsDir + `/${show}/output` : null,
        data: {
          prompt: def.decision.prompt,
          options: def.decision.options,
          approvers: def.decision.approvers ?? null,
          show: show ?? null,
          deadline: timeoutMs === undefined ? null : new Date(Date.now() + timeoutMs).toISOString(),
          on_timeout: def.decision.on_timeout ?? null,
        },
      }).finally(() => this.settle(run, name));
      return;
    }
    this.enqueue(run, name);
  }

  /** Why a step's `when` (or an upstream rejection) keeps it from running; undefined when it may run. */
  private whenBlocks(run: ActiveRun, def: AgentStep | DecisionStep): string | undefined {
    if (def.when) {
      const chosen = run.state.steps.get(def.when.decision)?.decision?.option;
      const wanted = Array.isArray(def.when.option) ? def.when.option : [def.when.option];
      return chosen !== undefined && wanted.includes(chosen) ? undefined : `${def.when.decision} chose ${chosen}`;
    }
    for (const need of def.needs) {
      const decision = run.state.steps.get(need)?.decision;
      if (decision?.option === 'reject') return `${need} was rejected by ${decision.by}`;
    }
    return undefined;
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
    while (!this.draining && this.running < this.options.maxParallel && this.queue.length > 0) {
      const next = this.queue.shift();
      if (next) this.launch(next.run, next.step, next.entry);
    }
  }

  private launch(run: ActiveRun, name: string, entry: ActiveStep): void {
    const def = run.chain.agents[name] as AgentStep;
    const stepState = run.state.steps.get(name);
    if (!stepState) return;
    const layout = runLayout(this.options.root, run.runId);
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
      baseEnv: this.options.baseEnv,
      secrets: this.secrets(),
    }).then(
      (prepared) => {
        // Stopped while its files were prepared (cancel, replay, shutdown): nothing was started or written.
        if (entry.stop || this.draining) return this.abandon(run, name, entry);
        let started: StartedStep;
        try {
          const limits = stepLimits(def, run.chain, this.boxConfig);
          const onWatchdog = (reason: 'idle' | 'timeout') => this.onWatchdog(run, name, entry, limits, reason);
          started = startStep(def, prepared, limits, onWatchdog, this.spawner);
        } catch (error) {
          return this.failToStart(run, name, entry, error);
        }
        this.follow(run, name, entry, def, started, launchedAt, handoff);
      },
      (error: unknown) => (entry.stop ? this.abandon(run, name, entry) : this.failToStart(run, name, entry, error)),
    );
  }

  /**
   * The watchdog's `alert`, written before the kill (then `killed`, then `retry` or `error`). `data` says which limit
   * fired and its value, so the control plane can turn it into an alert row without parsing the message.
   */
  private onWatchdog(
    run: ActiveRun,
    name: string,
    entry: ActiveStep,
    limits: StepLimits,
    reason: 'idle' | 'timeout',
  ): void {
    const limit = reason === 'idle' ? limits.idle : limits.timeout;
    const message =
      reason === 'idle'
        ? `no terminal output for ${limit?.text}; killing the agent`
        : `step ran longer than its timeout of ${limit?.text}; killing the agent`;
    void this.write(run, {
      step: name,
      kind: 'alert',
      status: 'running',
      attempt: entry.attempt,
      message,
      data: { watchdog: reason, limit: limit?.text ?? null, limit_ms: limit?.ms ?? null },
    });
  }

  /** Gives the slot of a launch that was stopped before its agent existed back; the step is looked at again. */
  private abandon(run: ActiveRun, name: string, entry: ActiveStep): void {
    this.running--;
    entry.phase = 'writing';
    if (run.active.get(name) === entry) this.settle(run, name);
    queueMicrotask(() => this.pump());
  }

  private failToStart(run: ActiveRun, name: string, entry: ActiveStep, error: unknown): void {
    this.running--;
    this.options.log(`run ${run.runId} step ${name}: cannot start: ${(error as Error).message}`);
    entry.phase = 'writing';
    void this.write(run, {
      step: name,
      kind: 'error',
      status: 'failed',
      attempt: entry.attempt,
      error: `cannot start the agent: ${(error as Error).message}`,
    }).finally(() => this.settle(run, name));
    queueMicrotask(() => this.pump());
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
        const written = this.write(run, {
          step: name,
          kind: 'started',
          status: 'running',
          attempt: entry.attempt,
          model: def.model ?? null,
          data: {
            pid,
            // The event's own timestamp is when it was written; this is when the agent was actually forked.
            forked_at: new Date(forkedAtMs).toISOString(),
            fork_ms: Math.round((forkedAt - launchedAt) * 1000) / 1000,
            ...(handoff === undefined ? {} : { handoff_ms: Math.round((forkedAt - handoff) * 1000) / 1000 }),
          },
        });
        void written.then(
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
        }),
    );
  }

  private onOutcome(run: ActiveRun, name: string, entry: ActiveStep, def: AgentStep, outcome: StepOutcome): void {
    this.running--;
    entry.phase = 'writing';
    // The slot is given to the next queued step only after this step's ending event is queued for writing, so the
    // event log never shows more steps running at once than the limit.
    queueMicrotask(() => this.pump());
    const usage = outcome.usage;
    const common = {
      step: name,
      attempt: entry.attempt,
      exit_code: outcome.exitCode,
      duration_seconds: outcome.durationSeconds,
      output_path: outcome.outputPath || null,
      model: usage.model,
      input_tokens: usage.reported ? usage.input_tokens : null,
      output_tokens: usage.reported ? usage.output_tokens : null,
      tokens_used: usage.reported ? usage.input_tokens + usage.output_tokens : null,
      cost_usd: usage.cost_usd,
    };
    const stillOurs = run.active.get(name) === entry;
    const done = (p: Promise<unknown>) => {
      void p.finally(() => {
        if (run.active.get(name) === entry) this.settle(run, name);
      });
    };
    if (outcome.killedBy === 'shutdown') {
      done(
        this.write(run, { ...common, kind: 'killed', status: 'running', error: 'the daemon is stopping' }).then(() =>
          this.write(run, {
            step: name,
            kind: 'retry',
            status: 'retrying',
            attempt: entry.attempt,
            error: 'interrupted: the daemon stopped while the step was running',
            data: { counts: false, not_before: new Date().toISOString(), reason: 'shutdown' },
          }),
        ),
      );
      return;
    }
    if (!stillOurs || outcome.killedBy === 'cancel') {
      const status = run.state.cancelled ? 'cancelled' : 'pending';
      const error = run.state.cancelled ? 'stopped: the run was cancelled' : 'stopped: the run was replayed or changed';
      done(this.write(run, { ...common, kind: 'killed', status, error }));
      return;
    }
    if (outcome.ok) {
      done(
        this.write(run, { ...common, kind: 'complete', status: 'complete' }).then((s) => {
          run.committedAt.set(name, performance.now());
          return s;
        }),
      );
      return;
    }
    const killed = outcome.killedBy
      ? this.write(run, { ...common, kind: 'killed', status: 'running', error: outcome.error })
      : Promise.resolve();
    const failures = (run.state.steps.get(name)?.failures ?? 0) + 1;
    if (failures <= def.retries) {
      const delay = backoffMs(def, failures);
      done(
        killed.then(() =>
          this.write(run, {
            ...common,
            kind: 'retry',
            status: 'retrying',
            error: outcome.error,
            data: { not_before: new Date(Date.now() + delay).toISOString(), retries_left: def.retries - failures },
          }),
        ),
      );
    } else {
      const tries = def.retries > 0 ? ` (after ${def.retries + 1} attempts)` : '';
      done(
        killed.then(() =>
          this.write(run, { ...common, kind: 'error', status: 'failed', error: `${outcome.error}${tries}` }),
        ),
      );
    }
  }

  private scheduleRetry(run: ActiveRun, name: string, def: AgentStep): void {
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
    void def;
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

  private secrets(): Record<string, string> {
    const { secretsFile } = rootLayout(this.options.root);
    // Asked at every launch: no exception (and its stack trace) when the box has no secrets file.
    const info = statSync(secretsFile, { throwIfNoEntry: false });
    if (!info) return {};
    const mtimeMs = info.mtimeMs;
    if (this.secretsCache?.mtimeMs !== mtimeMs) {
      this.secretsCache = { mtimeMs, values: parseEnvFile(readFileSync(secretsFile, 'utf8')) };
    }
    return this.secretsCache.values;
  }

  kill(runId: string, step: string, reason: KillReason): boolean {
    const entry = this.runs.get(runId)?.active.get(step);
    if (!entry?.started) return false;
    entry.started.agent.kill(reason);
    return true;
  }

  /** The live agent of a running step (for attach). */
  agentOf(runId: string, step: string) {
    return this.runs.get(runId)?.active.get(step)?.started?.agent;
  }
}

function lastEventName(eventsDir: string) {
  let best: ReturnType<typeof parseEventFileName>;
  let names: string[];
  try {
    names = readdirSync(eventsDir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    const parsed = parseEventFileName(name);
    if (parsed && (!best || parsed.seq > best.seq)) best = parsed;
  }
  return best;
}

/** A run nobody has started yet: its `created` event is all it has. */
function isNewRun(events: readonly import('@paddock/contracts').RunEvent[]): boolean {
  return events.length === 1 && events[0]?.step === RUN_STEP && events[0]?.kind === 'created';
}
