import {
  PROTOCOL_VERSION,
  type ProtocolEventMessage,
  type ProtocolRequest,
  ProtocolServerMessageSchema,
} from '@paddock/contracts';
import { type BoxLayout, checkLayout, DEFAULT_BOX_LAYOUT, layoutPaths } from './deploy/box-layout';
import { LineSplitter } from './deploy/line-splitter';
import { FleetError } from './errors';
import { sh } from './shell';
import type { RemoteProcess } from './ssh-connection';
import type { BoxTarget } from './ssh-options';
import type { SshPool } from './ssh-pool';

type WithoutEnvelope<T> = T extends unknown ? Omit<T, 'v' | 'id'> : never;
export type BoxRequest = WithoutEnvelope<ProtocolRequest>;

/** An error answer of the box runtime (`ok: false`), with its code (`not_found`, `validation_failed`, ...). */
export class BoxRequestError extends Error {
  constructor(
    readonly boxId: string,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(`Box ${boxId}: ${code}: ${message}`);
    this.name = 'BoxRequestError';
  }
}

export interface BoxSubscription {
  readonly cursor: string | undefined;
  close(): Promise<void>;
}

interface LocalSubscription {
  cursor: string | undefined;
  runId: string | undefined;
  remoteId: string | undefined;
  onEvent: (event: ProtocolEventMessage['event'], cursor: string) => void;
}

interface Pending {
  /** A subscribe request: its id is bound as soon as the answer is read, before the events that follow it. */
  subscription?: LocalSubscription;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface BoxChannelOptions {
  pool: SshPool;
  target: BoxTarget;
  layout?: BoxLayout;
  /** Per request. Default 30 s. */
  requestTimeoutMs?: number;
  /** Waits between attempts to reopen a dropped channel that has subscriptions: doubling from 200 ms to 5 s. */
  reopenDelayMs?: { initial: number; max: number };
  onReopen?: (attempt: number) => void;
}

/**
 * The one long-lived query channel to a box: `chainctl serve --stdio` (JSON lines) over an SSH session that stays
 * open, so a query costs a round trip, not a new SSH session. Requests are matched to answers by id. When the
 * channel drops, requests in flight fail (`connection_lost`; the caller decides whether to repeat them) and
 * subscriptions are reopened and resumed from the last cursor they saw, so no event is lost or delivered twice.
 */
export class BoxChannel {
  private process: RemoteProcess | undefined;
  private opening: Promise<void> | undefined;
  private pending = new Map<number, Pending>();
  private subscriptions = new Set<LocalSubscription>();
  private nextId = 1;
  private closed = false;
  private reopenAttempt = 0;
  private reopenTimer: NodeJS.Timeout | undefined;
  private readonly layout: BoxLayout;
  /** What the runtime said when the channel opened. */
  hello: { version: string; root: string } | undefined;

  constructor(private readonly options: BoxChannelOptions) {
    this.layout = checkLayout(options.layout ?? DEFAULT_BOX_LAYOUT);
  }

  /** True while a channel is open (false between a drop and its reopening). */
  get isOpen(): boolean {
    return this.process !== undefined;
  }

  async request(input: BoxRequest): Promise<unknown> {
    await this.ensureOpen();
    return this.send(input);
  }

  /** Delivers every event after `since` (all runs, or one) until closed, across reopened channels. */
  async subscribe(input: {
    since?: string;
    runId?: string;
    onEvent: LocalSubscription['onEvent'];
  }): Promise<BoxSubscription> {
    const sub: LocalSubscription = {
      cursor: input.since,
      runId: input.runId,
      remoteId: undefined,
      onEvent: input.onEvent,
    };
    this.subscriptions.add(sub);
    await this.ensureOpen();
    if (!sub.remoteId) await this.subscribeRemote(sub);
    return {
      get cursor() {
        return sub.cursor;
      },
      close: async () => {
        this.subscriptions.delete(sub);
        if (sub.remoteId && this.process)
          await this.send({ op: 'unsubscribe', subscription: sub.remoteId }).catch(() => {});
      },
    };
  }

  /** Ends the channel (the runtime's serve process exits on EOF). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reopenTimer);
    this.subscriptions.clear();
    const process = this.process;
    this.process = undefined;
    if (process) {
      process.channel.end();
      await Promise.race([process.exited, new Promise((r) => setTimeout(r, 2_000))]);
      process.close();
    }
  }

  private ensureOpen(): Promise<void> {
    if (this.closed) return Promise.reject(new FleetError('connection_lost', 'The box channel is closed'));
    if (this.process) return Promise.resolve();
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async open(): Promise<void> {
    const connection = await this.options.pool.connect(this.options.target);
    const process = await connection.spawn(sh`${layoutPaths(this.layout).service} serve`);
    let greeted: (() => void) | undefined;
    let refused: ((error: Error) => void) | undefined;
    const hello = new Promise<void>((resolve, reject) => {
      greeted = resolve;
      refused = reject;
    });
    const lines = new LineSplitter((line) => {
      const parsed = ProtocolServerMessageSchema.safeParse(safeJson(line));
      if (!parsed.success) return; // not a protocol line (a warning on stdout): nothing to match it to
      const message = parsed.data;
      if (message.type === 'hello') {
        this.hello = { version: message.version, root: message.root };
        greeted?.();
      } else if (message.type === 'event') {
        for (const sub of this.subscriptions) {
          if (sub.remoteId === message.subscription) {
            sub.cursor = message.cursor;
            sub.onEvent(message.event, message.cursor);
          }
        }
      } else {
        const pending = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
        if (!pending || typeof message.id !== 'number') return;
        this.pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.ok && pending.subscription) {
          pending.subscription.remoteId = (message.result as { subscription: string }).subscription;
        }
        if (message.ok) pending.resolve(message.result);
        else
          pending.reject(
            new BoxRequestError(this.options.target.id, message.error.code, message.error.message, message.error),
          );
      }
    });
    process.channel.on('data', (chunk: Buffer) => lines.push(chunk));
    void process.exited.then(() => this.onExit(process, refused));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        hello,
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new FleetError('exec_timeout', `Box ${this.options.target.id}: the runtime did not say hello`)),
            this.timeoutMs(),
          );
        }),
      ]);
    } catch (error) {
      process.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    this.process = process;
    this.reopenAttempt = 0;
  }

  private onExit(process: RemoteProcess, refused: ((error: Error) => void) | undefined): void {
    const error = new FleetError(
      'connection_lost',
      `The channel to box ${this.options.target.id} closed${process.stderrTail() ? `: ${process.stderrTail().trim().slice(-300)}` : ''}`,
      { boxId: this.options.target.id },
    );
    refused?.(error);
    if (this.process !== process) return;
    this.process = undefined;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
    for (const sub of this.subscriptions) sub.remoteId = undefined;
    if (!this.closed && this.subscriptions.size > 0) this.scheduleReopen();
  }

  private scheduleReopen(): void {
    const { initial, max } = this.options.reopenDelayMs ?? { initial: 200, max: 5_000 };
    const delay = Math.min(max, initial * 2 ** this.reopenAttempt);
    this.reopenAttempt++;
    this.reopenTimer = setTimeout(async () => {
      if (this.closed) return;
      this.options.onReopen?.(this.reopenAttempt);
      try {
        await this.ensureOpen();
        for (const sub of this.subscriptions) if (!sub.remoteId) await this.subscribeRemote(sub);
      } catch {
        if (!this.process && !this.closed) this.scheduleReopen();
      }
    }, delay);
    this.reopenTimer.unref();
  }

  private async subscribeRemote(sub: LocalSubscription): Promise<void> {
    const request: BoxRequest = {
      op: 'subscribe',
      ...(sub.cursor ? { since: sub.cursor } : {}),
      ...(sub.runId ? { run_id: sub.runId } : {}),
    };
    await this.send(request, sub);
  }

  private send(input: BoxRequest, subscription?: LocalSubscription): Promise<unknown> {
    const process = this.process;
    if (!process)
      return Promise.reject(new FleetError('connection_lost', `No open channel to box ${this.options.target.id}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new FleetError(
            'exec_timeout',
            `Box ${this.options.target.id} did not answer ${input.op} within ${this.timeoutMs()} ms`,
          ),
        );
      }, this.timeoutMs());
      this.pending.set(id, { resolve, reject, timer, ...(subscription ? { subscription } : {}) });
      process.channel.write(`${JSON.stringify({ v: PROTOCOL_VERSION, id, ...input })}\n`);
    });
  }

  private timeoutMs(): number {
    return this.options.requestTimeoutMs ?? 30_000;
  }
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
