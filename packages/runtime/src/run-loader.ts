import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ChainDefinition,
  type EventKind,
  eventFileName,
  parseEventFileName,
  RUN_STEP,
  type RunEvent,
} from '@paddock/contracts';
import { type ActiveRun, newActiveRun } from './active-run';
import { lastSeq, parseEventFile, readRunEvents } from './event-store';
import { JournalFollower } from './follow-journal';
import type { JournalEntry } from './journal';
import { isValidRunId, rootLayout, runLayout } from './paths';
import { readRunChain } from './read-run';
import { JournalReconciler } from './reconcile-journal';

/** Runs loaded by a rescan between two turns of the event loop. */
const LOAD_BATCH = 8;

/**
 * Runs the daemon holds whose event files a rescan lists, per rescan, in turns. Every writer lists its events in the
 * journal, which the daemon follows; listing a run's events only catches a file written without its journal line (a
 * writer killed in between, a hand-made file), so a bounded share per rescan keeps that net without a readdir of
 * every run every period (1,000 runs held: 1,000 readdirs a second on the loop at the bench's period).
 */
const KNOWN_CHECKED_PER_RESCAN = 64;

/** Finished runs remembered so a rescan skips them; past this many the memory is dropped and rebuilt. */
const FINISHED_REMEMBERED = 200_000;

/** What the loader needs from the daemon: which runs it holds, and what to do with a run read from disk. */
export interface LoaderHost {
  readonly root: string;
  /** Tags the daemon's own journal lines: only others' writes are news. */
  readonly writerId: string;
  log(line: string): void;
  draining(): boolean;
  known(runId: string): ActiveRun | undefined;
  /** A run read from disk that the daemon does not hold yet (and, unless `force`, not finished). */
  open(run: ActiveRun, force: boolean): Promise<void>;
  /** A held run whose files another process changed: its events as now on disk. */
  adopt(run: ActiveRun, events: RunEvent[]): void;
}

/**
 * Finds runs and changes other processes made to them: a full rescan of the runs directory at start and
 * periodically (the safety net), and the box journal followed live. Reads each run into an ActiveRun once, however
 * many triggers name it at the same time.
 */
export class RunLoader {
  private follower: JournalFollower | undefined;
  private reconciler: JournalReconciler | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  /** Runs being loaded, so two triggers (journal, rescan, a request) load a run once. */
  private readonly loading = new Map<string, Promise<void>>();
  /**
   * Runs seen finished and not held: a rescan does not list their events again (a box keeps every run it ever ran).
   * Reopening one (replay, resume, a decision) goes through this daemon or writes a journal line, which clears it.
   */
  private readonly finished = new Set<string>();
  /** Where the next rescan's turn of checking held runs starts. */
  private knownCursor = 0;

  constructor(
    private readonly host: LoaderHost,
    private readonly rescanMs: number,
  ) {}

  /** Loads every run on disk (those already admitted first), then follows the journal and rescans periodically. */
  async start(): Promise<void> {
    this.follower = new JournalFollower(this.host.root, (entries) => this.onJournal(entries), this.rescanMs);
    // Only the first pass reconciles the journal with the runs' last events (what a crash may have kept out of it).
    this.reconciler = new JournalReconciler(this.host.root);
    await this.rescan(true);
    this.reconciler = undefined;
    this.follower.start();
    this.rescanTimer = setInterval(() => void this.rescan(false), this.rescanMs);
  }

  stop(): void {
    this.follower?.stop();
    if (this.rescanTimer) clearInterval(this.rescanTimer);
  }

  /** Reads a run and hands it to the daemon; `force` also for a finished run (to answer a request about it). */
  load(runId: string, force = false): Promise<void> {
    const inFlight = this.loading.get(runId);
    if (inFlight) return inFlight;
    const loading = this.loadNow(runId, force).finally(() => this.loading.delete(runId));
    this.loading.set(runId, loading);
    return loading;
  }

  private async rescan(initial: boolean): Promise<void> {
    if (this.host.draining()) return;
    this.follower?.readNow();
    const { runsDir } = rootLayout(this.host.root);
    let names: string[];
    try {
      names = readdirSync(runsDir);
    } catch {
      names = [];
    }
    let loaded = 0;
    const fresh: string[] = [];
    const held: string[] = [];
    for (const runId of names) {
      if (!isValidRunId(runId) || this.finished.has(runId)) continue;
      if (this.host.known(runId)) {
        held.push(runId);
        continue;
      }
      const last = lastEventName(runLayout(this.host.root, runId).eventsDir);
      if (!last) continue;
      if (last.step === RUN_STEP && last.kind === 'finished') {
        this.reconcileFinished(runId, last);
        this.rememberFinished(runId);
        continue;
      }
      // At a restart, runs already admitted are loaded first, so new ones are judged against all of them.
      if (initial && last.seq === 1 && last.kind === 'created') {
        fresh.push(runId);
        continue;
      }
      await this.load(runId);
      // Loading launches the run's first steps. With hundreds of runs waiting (a restart, a burst of submissions),
      // the loop must still hear forks and exits in between, or early agents' handoffs wait for the whole pass.
      if (++loaded % LOAD_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    this.checkHeld(held);
    for (const runId of fresh) {
      await this.load(runId);
      if (++loaded % LOAD_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Lists the events of a bounded share of the held runs (in turns): someone else wrote if a seq is past ours. */
  private checkHeld(held: string[]): void {
    if (held.length === 0) return;
    const count = Math.min(held.length, KNOWN_CHECKED_PER_RESCAN);
    for (let i = 0; i < count; i++) {
      const runId = held[(this.knownCursor + i) % held.length] as string;
      const known = this.host.known(runId);
      const last = known && lastEventName(runLayout(this.host.root, runId).eventsDir);
      if (known && last && last.seq > known.seq) this.reload(known); // our own seqs are <= known.seq
    }
    this.knownCursor = (this.knownCursor + count) % held.length;
  }

  private rememberFinished(runId: string): void {
    if (this.finished.size >= FINISHED_REMEMBERED) this.finished.clear();
    this.finished.add(runId);
  }

  /** A finished run is not loaded, but its `finished` event may be the one a crash kept out of the journal. */
  private reconcileFinished(runId: string, last: { seq: number; step: string; kind: string }): void {
    if (!this.reconciler) return;
    const file = eventFileName(last.seq, last.step, last.kind as EventKind);
    if (this.reconciler.has(runId, file)) return;
    const parsed = parseEventFile(join(runLayout(this.host.root, runId).eventsDir, file));
    if (parsed.ok) this.reconciler.check(runId, { event: parsed.event, file });
  }

  private onJournal(entries: JournalEntry[]): void {
    const touched = new Set<string>();
    for (const entry of entries) if (entry.writer !== this.host.writerId) touched.add(entry.run);
    for (const runId of touched) {
      this.finished.delete(runId);
      const known = this.host.known(runId);
      if (known) this.reload(known);
      else if (isValidRunId(runId)) void this.load(runId);
    }
  }

  private async loadNow(runId: string, force: boolean): Promise<void> {
    if (this.host.known(runId) || this.host.draining()) return;
    // A chainctl that started writing before this daemon claimed the pidfile finishes under the run lock first.
    const { lockFile, eventsDir } = runLayout(this.host.root, runId);
    for (let i = 0; i < 2_000 && existsSync(lockFile); i++) await new Promise((r) => setTimeout(r, 5));
    let chain: ChainDefinition;
    try {
      chain = readRunChain(this.host.root, runId);
    } catch (error) {
      this.host.log(`run ${runId}: cannot load: ${(error as Error).message}`);
      return;
    }
    const { events, files, malformed } = readRunEvents(this.host.root, runId);
    for (const bad of malformed) this.host.log(`run ${runId}: skipped malformed event ${bad.file}: ${bad.error}`);
    const lastEvent = events.at(-1);
    const lastFile = files.at(-1);
    if (this.reconciler?.check(runId, lastEvent && lastFile ? { event: lastEvent, file: lastFile } : undefined)) {
      this.host.log(`run ${runId}: listed ${lastFile} in the journal (a writer stopped before it could)`);
    }
    if (!events.some((e) => e.kind === 'created')) return;
    const run = newActiveRun(runId, chain, events, Math.max(lastSeq(eventsDir), events.at(-1)?.seq ?? 0));
    if (run.state.finished && !force) return;
    await this.host.open(run, force);
  }

  /** Re-reads a run from disk after another process wrote to it (decide, replay, resume, cancel, a person). */
  private reload(run: ActiveRun): void {
    run.writes = run.writes.then(() => {
      const { events } = readRunEvents(this.host.root, run.runId);
      run.seq = Math.max(run.seq, lastSeq(runLayout(this.host.root, run.runId).eventsDir));
      this.host.adopt(run, events);
    });
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
