import {
  PROTOCOL_VERSION,
  type ProtocolEventMessage,
  ProtocolEventMessageSchema,
  ProtocolHelloSchema,
  type ProtocolOp,
  ProtocolResponseSchema,
  type RunEvent,
} from '@paddock/contracts';
import { BoxChannelError } from './box-channel-error';
import type { ChannelTransport, OpenTransport } from './box-channel-transport';
import { LineReader } from './line-reader';
import { type BoxRequestFor, type ProtocolResult, ProtocolResultSchemas } from './box-channel-results';

export interface BoxChannelOptions {
  boxId: string;
  open: OpenTransport;
  /** Longest wait for one answer. Default 30 s. */
  requestTimeoutMs?: number;
  /** Longest wait from starting the transport to the runtime's hello line. Default 20 s (an SSH exec + node start). */
  openTimeoutMs?: number;
  /** Waits between attempts to reopen a dropped channel that has subscriptions: doubling from initial to max. */
  reopenDelayMs?: { initial: number; max: number };
  /** A longer line is dropped and the channel restarted, never buffered without bound. Default 64 MiB. */
  maxLineBytes?: number;
  /** Channel life for logs and metrics: opened, dropped (with why), a reopen attempt failed. */
  onState?: (state: 'open' | 'dropped' | 'reopen_failed', detail: string) => void;
}

export interface SubscribeOptions {
  /**
   * Where the stream (re)starts: asked at every (re)subscription, so a channel reopened after a drop resumes from
   * what the consumer committed, not from what it was merely sent.
   */
  resumeFrom: () => Promise<string | undefined> | string | undefined;
  runId?: string;
  onEvent: (event: RunEvent, cursor: string) => void;
  /** Called before every resubscription: events delivered but not committed by then will be delivered again. */
  onRestart?: () => void;
  /**
   * The runtime refused the cursor (its journal was reset: a reinstalled box). Returns where to start instead; the
   * subscription is retried once from there. Without it the refusal is an error and the channel keeps retrying.
   */
  onCursorRefused?: (cursor: string, error: BoxChannelError) => Promise<string | undefined>;
}

export interface BoxSubscription {
  /** Drops the stream and starts it again from `resumeFrom()` (a consumer that suspects the stream is stuck). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

interface LocalSubscription {
  options: SubscribeOptions;
  remoteId: string | undefined;
  /** Serialises restarts of this subscription. */
  chain: Promise<void>;
  active: boolean;
}

interface Pending {
  op: ProtocolOp;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface Live {
  transport: ChannelTransport;
  generation: number;
}

export { BoxChannelError, type BoxChannelFailure } from './box-channel-error';
export {
  type BoxRequest,
  type BoxRequestFor,
  EventWithCursorSchema,
  type ProtocolResult,
  ProtocolResultSchemas,
} from './box-channel-results';
export {
  boxServeCommand,
  type ChannelTransport,
  localProcessTransport,
  type OpenTransport,
  sshTransport,
} from './box-channel-transport';

const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * The client side of `chainctl serve --stdio` over any duplex stream. Every line the runtime writes is validated by
 * the contracts' schemas; requests are matched to answers by id, each with its own timeout. Subscriptions survive a
 * dropped channel: it is reopened with backoff and every subscription resumes from its consumer's committed cursor.
 * Requests in flight when the channel drops fail with `channel_closed`; the caller decides whether to repeat them.
 */
export class BoxChannel {
  private live: Live | undefined;
  private opening: Promise<Live> | undefined;
  private generation = 0;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private subscriptions = new Set<LocalSubscription>();
  /** Events for a subscription id not bound yet (its subscribe answer is still on the way). */
  private unbound: ProtocolEventMessage[] = [];
  private subscribing = 0;
  private closed = false;
  private reopenTimer: NodeJS.Timeout | undefined;
  private reopenAttempt = 0;
  /** What the runtime said when the current channel opened. */
  hello: { version: string; root: string } | undefined;
  /** When the last valid line arrived (ms epoch), for staleness checks. */
  lastMessageAt = 0;

  constructor(private readonly options: BoxChannelOptions) {}

  get isOpen(): boolean {
    return this.live !== undefined;
  }

  /** Opens the channel now (otherwise the first request or subscription does). */
  async connect(): Promise<void> {
    await this.ensureOpen();
  }

  async request<O extends ProtocolOp>(input: BoxRequestFor<O>): Promise<ProtocolResult<O>> {
    const live = await this.ensureOpen();
    return this.send(live, input);
  }

  async subscribe(options: SubscribeOptions): Promise<BoxSubscription> {
    const sub: LocalSubscription = { options, remoteId: undefined, chain: Promise.resolve(), active: true };
    this.subscriptions.add(sub);
    try {
      const live = await this.ensureOpen();
      await this.startRemote(live, sub, false);
    } catch (error) {
      // The channel reopens on its own and resubscribes everything in `subscriptions`: a failed first attempt is
      // reported to the caller but the subscription stays, unless the channel was closed for good.
      if (this.closed) this.subscriptions.delete(sub);
      throw error;
    }
    return {
      restart: () => this.restart(sub),
      close: async () => {
        sub.active = false;
        this.subscriptions.delete(sub);
        const live = this.live;
        const remoteId = sub.remoteId;
        sub.remoteId = undefined;
        if (live && remoteId) await this.send(live, { op: 'unsubscribe', subscription: remoteId }).catch(() => {});
      },
    };
  }

  /** Ends the channel for good: pending requests fail, subscriptions end, the runtime's serve exits on EOF. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reopenTimer);
    for (const sub of this.subscriptions) sub.active = false;
    this.subscriptions.clear();
    const live = this.live ?? (await this.opening?.catch(() => undefined));
    if (live) {
      this.drop(live, 'closed by the control plane');
      live.transport.close();
      await Promise.race([live.transport.closed, new Promise((r) => setTimeout(r, 2_000).unref())]);
    }
  }

  // ---- opening and dropping ------------------------------------------------------------------------------------

  private ensureOpen(): Promise<Live> {
    if (this.closed) return Promise.reject(this.error('channel_closed', 'the channel is closed'));
    if (this.live) return Promise.resolve(this.live);
    this.opening ??= this.openNow().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async openNow(): Promise<Live> {
    let transport: ChannelTransport;
    try {
      transport = await this.options.open();
    } catch (error) {
      throw this.error('open_failed', `could not start the serve channel: ${messageOf(error)}`, undefined, error);
    }
    const live: Live = { transport, generation: ++this.generation };
    const timeoutMs = this.options.openTimeoutMs ?? 20_000;
    const greeted = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(this.error('timeout', `the runtime did not say hello within ${timeoutMs} ms`)),
        timeoutMs,
      );
      let greetedYet = false;
      const reader = new LineReader(
        (line) => {
          if (live.generation !== this.generation) return;
          if (!greetedYet) {
            const hello = parseHello(line);
            if (hello === 'not_hello') return; // a banner or warning before the hello: nothing to match it to
            clearTimeout(timer);
            if (hello === 'wrong_version') {
              reject(this.error('unsupported_version', `the runtime speaks another protocol than ${PROTOCOL_VERSION}`));
              return;
            }
            greetedYet = true;
            this.hello = hello;
            this.lastMessageAt = Date.now();
            resolve();
            return;
          }
          this.onLine(live, line);
        },
        this.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
        (bytes) => this.fail(live, `the runtime wrote a line of ${bytes} bytes, more than the limit`),
      );
      transport.stdout.on('data', (chunk: Buffer) => reader.push(chunk));
      void transport.closed.then(() => {
        clearTimeout(timer);
        const tail = transport.stderrTail().trim();
        reject(this.error('channel_closed', `the serve channel closed before hello${tail ? `: ${tail}` : ''}`));
        this.onClosed(live);
      });
    });
    try {
      await greeted;
    } catch (error) {
      transport.close();
      throw error;
    }
    if (this.closed) {
      transport.close();
      throw this.error('channel_closed', 'the channel is closed');
    }
    this.live = live;
    this.reopenAttempt = 0;
    this.options.onState?.('open', `runtime ${this.hello?.version ?? '?'}`);
    return live;
  }

  private onClosed(live: Live): void {
    if (this.live !== live) return;
    const tail = live.transport.stderrTail().trim();
    this.drop(live, `the serve channel closed${tail ? `: ${tail.slice(-300)}` : ''}`);
  }

  /** A broken channel: cut it, so that the reopen path starts a clean one. */
  private fail(live: Live, why: string): void {
    if (this.live !== live) return;
    this.drop(live, why);
    live.transport.close();
  }

  private drop(live: Live, why: string): void {
    if (this.live !== live) return;
    this.live = undefined;
    this.generation++;
    const error = this.error('channel_closed', why);
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
    this.unbound = [];
    for (const sub of this.subscriptions) sub.remoteId = undefined;
    this.options.onState?.('dropped', why);
    if (!this.closed && this.subscriptions.size > 0) this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.reopenTimer || this.closed) return;
    const { initial, max } = this.options.reopenDelayMs ?? { initial: 200, max: 10_000 };
    const delay = Math.min(max, initial * 2 ** this.reopenAttempt);
    this.reopenAttempt++;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      void this.reopen();
    }, delay);
    this.reopenTimer.unref();
  }

  private async reopen(): Promise<void> {
    if (this.closed || this.subscriptions.size === 0) return;
    try {
      const live = await this.ensureOpen();
      for (const sub of this.subscriptions) {
        if (!sub.remoteId) await this.startRemote(live, sub, true);
      }
    } catch (error) {
      this.options.onState?.('reopen_failed', messageOf(error));
      if (this.live) this.fail(this.live, `resubscribing failed: ${messageOf(error)}`);
      else this.scheduleReopen();
    }
  }

  // ---- subscriptions -------------------------------------------------------------------------------------------

  private restart(sub: LocalSubscription): Promise<void> {
    sub.chain = sub.chain.then(async () => {
      if (!sub.active) return;
      const live = await this.ensureOpen();
      const remoteId = sub.remoteId;
      sub.remoteId = undefined;
      if (remoteId) await this.send(live, { op: 'unsubscribe', subscription: remoteId }).catch(() => {});
      await this.startRemote(live, sub, true);
    });
    const done = sub.chain;
    sub.chain = done.catch(() => {});
    return done;
  }

  private async startRemote(live: Live, sub: LocalSubscription, restarting: boolean): Promise<void> {
    if (restarting) sub.options.onRestart?.();
    let since = await sub.options.resumeFrom();
    if (!sub.active || this.live !== live) return;
    this.subscribing++;
    try {
      const ask = (cursor: string | undefined) =>
        this.send(live, {
          op: 'subscribe',
          ...(cursor ? { since: cursor } : {}),
          ...(sub.options.runId ? { run_id: sub.options.runId } : {}),
        });
      let answer: ProtocolResult<'subscribe'>;
      try {
        answer = await ask(since);
      } catch (error) {
        const refused = error instanceof BoxChannelError && error.failure === 'remote_error' && since;
        if (!refused || !sub.options.onCursorRefused) throw error;
        since = await sub.options.onCursorRefused(since as string, error);
        answer = await ask(since);
      }
      sub.remoteId = answer.subscription;
    } catch (error) {
      // A subscription the runtime may have made but we never learnt the id of would push events nobody reads.
      if (error instanceof BoxChannelError && error.failure === 'timeout') this.fail(live, 'subscribe timed out');
      throw error;
    } finally {
      this.subscribing--;
    }
    const early = this.unbound.filter((m) => m.subscription === sub.remoteId);
    this.unbound = this.subscribing > 0 ? this.unbound.filter((m) => m.subscription !== sub.remoteId) : [];
    for (const message of early) sub.options.onEvent(message.event, message.cursor);
  }

  // ---- lines in, requests out ----------------------------------------------------------------------------------

  private onLine(live: Live, line: string): void {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return; // not protocol output (a runtime warning on stdout): nothing refers to it
    }
    const type = (json as { type?: unknown } | null)?.type;
    if (type === 'event') {
      const parsed = ProtocolEventMessageSchema.safeParse(json);
      // An event we cannot read must not be skipped silently: the stream restarts from the committed cursor.
      if (!parsed.success) {
        this.fail(live, `invalid event message: ${parsed.error.issues[0]?.message}`);
        return;
      }
      this.lastMessageAt = Date.now();
      this.deliver(parsed.data);
      return;
    }
    if (type === 'response') {
      const parsed = ProtocolResponseSchema.safeParse(json);
      if (!parsed.success) {
        this.fail(live, `invalid response: ${parsed.error.issues[0]?.message}`);
        return;
      }
      this.lastMessageAt = Date.now();
      this.answer(parsed.data);
    }
  }

  private deliver(message: ProtocolEventMessage): void {
    for (const sub of this.subscriptions) {
      if (sub.remoteId === message.subscription) {
        sub.options.onEvent(message.event, message.cursor);
        return;
      }
    }
    if (this.subscribing > 0) this.unbound.push(message);
  }

  private answer(message: ReturnType<typeof ProtocolResponseSchema.parse>): void {
    if (typeof message.id !== 'number') return; // our ids are numbers; a null id answers a line we never sent
    const pending = this.pending.get(message.id);
    if (!pending) return; // answered after its timeout
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (!message.ok) {
      pending.reject(this.error('remote_error', `${pending.op}: ${message.error.message}`, message.error.code));
      return;
    }
    const parsed = ProtocolResultSchemas[pending.op].safeParse(message.result);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      pending.reject(
        this.error('protocol_error', `${pending.op} answer does not match the protocol: ${issue?.path.join('.')}`),
      );
      return;
    }
    pending.resolve(parsed.data);
  }

  private send<O extends ProtocolOp>(live: Live, input: BoxRequestFor<O>): Promise<ProtocolResult<O>> {
    if (this.live !== live) return Promise.reject(this.error('channel_closed', 'the channel dropped'));
    const id = this.nextId++;
    const timeoutMs = this.options.requestTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(this.error('timeout', `no answer to ${input.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { op: input.op, resolve: resolve as (r: unknown) => void, reject, timer });
      live.transport.stdin.write(`${JSON.stringify({ v: PROTOCOL_VERSION, id, ...input })}\n`);
    });
  }

  private error(
    failure: BoxChannelError['failure'],
    message: string,
    remoteCode?: string,
    cause?: unknown,
  ): BoxChannelError {
    return new BoxChannelError(failure, this.options.boxId, message, remoteCode, cause ? { cause } : undefined);
  }
}

function parseHello(line: string): { version: string; root: string } | 'not_hello' | 'wrong_version' {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return 'not_hello';
  }
  if ((json as { type?: unknown } | null)?.type !== 'hello') return 'not_hello';
  const parsed = ProtocolHelloSchema.safeParse(json);
  if (!parsed.success) return 'wrong_version';
  return { version: parsed.data.version, root: parsed.data.root };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
