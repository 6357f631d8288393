import { type FSWatcher, watch } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import {
  AppError,
  MAX_TERMINAL_CHUNK_BYTES,
  type ProtocolTerminalEnd,
  RUN_STEP,
  type BoxStepStatus,
  type TerminalOpenResult,
} from '@paddock/contracts';
import { openTerminalLog } from './open-terminal-log';
import { runLayout, stepLayout } from './paths';
import { loadRun } from './read-run';
import { isTerminal, type StepState } from './run-state';
import { terminalLogPath, usualTerminalLogPath } from './terminal-log-path';

/** How often a follow looks again when no file notification came (a missed inotify event waits this long). */
const POLL_MS = 250;
/**
 * The shortest pause between two passes. A chatty agent makes inotify fire on every write, and each pass reads the
 * run's state (its event files): passes are spaced so a stream costs at most 20 state reads a second, and the bytes
 * written meanwhile go out together.
 */
const MIN_PASS_MS = 50;

export interface TerminalFollowRequest {
  stream: string;
  runId: string;
  step: string;
  attempt?: number;
  tailBytes: number;
}

/** Where a follow's messages go; each call resolves once the channel can take more (backpressure). */
export interface TerminalSink {
  chunk(offset: number, data: Buffer): Promise<void>;
  end(end: Pick<ProtocolTerminalEnd, 'offset' | 'reason' | 'status' | 'message'>): Promise<void>;
}

interface AttemptView {
  step: StepState;
  runFinished: boolean;
}

/**
 * One attempt's terminal log, replayed from `tailBytes` before its end and then followed as it grows, until that
 * attempt is over (every byte written by then is sent first) or `stop()`. The log is opened once (its inode is kept:
 * a retry rotating `pty.log` away does not move this follow to the next attempt's log).
 */
export class TerminalFollow {
  private handle: FileHandle | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private watchers: FSWatcher[] = [];
  private offset: number;
  private readonly path: string | undefined;

  private constructor(
    private readonly root: string,
    private readonly request: TerminalFollowRequest,
    readonly opened: TerminalOpenResult,
    handle: FileHandle | undefined,
    path: string | undefined,
    private readonly startedAt: string | null,
  ) {
    this.handle = handle;
    this.path = path;
    this.offset = opened.start;
  }

  /** Checks the names, the step and the attempt, opens the log (when it exists yet) and says where the replay starts. */
  static async open(root: string, request: TerminalFollowRequest): Promise<TerminalFollow> {
    if (request.step === RUN_STEP) throw new AppError('bad_request', `${RUN_STEP} has no terminal`);
    const run = runLayout(root, request.runId); // throws on an invalid run id
    stepLayout(run, request.step); // throws on an invalid step name
    const view = readAttempt(root, request.runId, request.step);
    const current = view.step.attempt;
    const attempt = request.attempt ?? Math.max(current, 1);
    if (attempt > Math.max(current, 1)) {
      throw new AppError('not_found', `step ${request.step} of run ${request.runId} has no attempt ${attempt} yet`);
    }
    let path = terminalLogPath(run, request.step, attempt);
    let handle = await openTerminalLog(run.dir, path);
    if (!handle && attempt === Math.max(current, 1)) {
      // A step that ran before attempts had directories of their own keeps its one log under the usual name.
      const usual = usualTerminalLogPath(run, request.step);
      handle = await openTerminalLog(run.dir, usual);
      if (handle) path = usual;
    }
    const after = readAttempt(root, request.runId, request.step);
    const size = handle ? (await handle.stat()).size : 0;
    const start = Math.max(0, size - request.tailBytes);
    const startedAt = after.step.attempt === attempt ? after.step.startedAt : null;
    return new TerminalFollow(root, request, { stream: request.stream, attempt, size, start }, handle, path, startedAt);
  }

  /** Sends the log from the replay start on, then what is written, until the attempt ends or the follow is stopped. */
  async run(sink: TerminalSink): Promise<void> {
    const run = runLayout(this.root, this.request.runId);
    this.watch(run.eventsDir);
    this.watch(stepLayout(run, this.request.step).dir);
    let status: BoxStepStatus | null = null;
    try {
      for (;;) {
        if (this.stopped) return await sink.end({ offset: this.offset, reason: 'stopped', status });
        // The state is read before the log: bytes written before the attempt was seen over are all sent below.
        const view = readAttempt(this.root, this.request.runId, this.request.step);
        status = view.step.status;
        const over = this.isOver(view);
        if (!this.handle && !over && view.step.attempt === this.opened.attempt && this.path) {
          this.handle = await openTerminalLog(run.dir, this.path);
        }
        await this.sendAvailable(sink);
        if (over) return await sink.end({ offset: this.offset, reason: 'ended', status });
        if (this.stopped) continue;
        const waitStarted = Date.now();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
        const early = MIN_PASS_MS - (Date.now() - waitStarted);
        if (early > 0 && !this.stopped) await new Promise((resolve) => setTimeout(resolve, early));
      }
    } catch (error) {
      const message = error instanceof Error ? error.message.slice(0, 1000) : 'the log could not be read';
      await sink.end({ offset: this.offset, reason: 'failed', status, message }).catch(() => undefined);
    } finally {
      for (const watcher of this.watchers) watcher.close();
      await this.handle?.close().catch(() => undefined);
    }
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async sendAvailable(sink: TerminalSink): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    const buffer = Buffer.alloc(MAX_TERMINAL_CHUNK_BYTES);
    while (!this.stopped) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
      if (bytesRead === 0) return;
      const at = this.offset;
      this.offset += bytesRead;
      await sink.chunk(at, Buffer.from(buffer.subarray(0, bytesRead)));
    }
  }

  /**
   * The attempt is over once the step moved to a later attempt, left `running`, or (not started yet) can no longer
   * start: a step that finished, was skipped or cancelled, or a run that finished. A new start of the same attempt
   * number (a replay starts the step over) is another attempt too.
   */
  private isOver(view: AttemptView): boolean {
    const { step } = view;
    const attempt = this.opened.attempt;
    if (step.attempt > attempt) return true;
    if (step.attempt === attempt) {
      if (this.startedAt !== null && step.startedAt !== this.startedAt) return true;
      return step.status !== 'running';
    }
    return isTerminal(step.status) || view.runFinished;
  }

  /** Notifications only wake the loop early; the poll is what guarantees progress. */
  private watch(dir: string): void {
    try {
      const watcher = watch(dir, () => this.wake?.());
      watcher.on('error', () => watcher.close());
      this.watchers.push(watcher);
    } catch {
      // not there yet (a step that has not started): the poll covers it
    }
  }
}

function readAttempt(root: string, runId: string, step: string): AttemptView {
  const run = loadRun(root, runId);
  const state = run.state.steps.get(step);
  if (!state) throw new AppError('not_found', `run ${runId} has no step ${step}`);
  return { step: state, runFinished: run.state.finished };
}
