import {
  MAX_SERVE_LINE_BYTES,
  PROTOCOL_VERSION,
  type ProtocolEventMessage,
  ProtocolEventMessageSchema,
  type ProtocolOp,
  ProtocolResponseSchema,
} from '@paddock/contracts';
import { BoxChannelError } from './box-channel-error';
import { parseHello } from './box-channel-hello';
import { PendingRequests } from './box-channel-requests';
import type { BoxChannelOptions, BoxSubscription, SubscribeOptions } from './box-channel-options';
import { type TerminalListener, TerminalRoutes } from './box-channel-terminals';
import type { ChannelTransport } from './box-channel-transport';
import { LineReader, type OversizeLine } from './line-reader';
import { rejectedEventOf, rejectedOversizeLine } from './rejected-lines';
import type { BoxRequestFor, ProtocolResult } from './box-channel-results';

interface LocalSubscription {
  options: SubscribeOptions;
  remoteId: string | undefined;
  /** Serialises restarts of this subscription. */
  chain: Promise<void>;
  active: boolean;
}

interface Live {
  transport: ChannelTransport;
  generation: number;
  reader: LineReader;
}

export { BoxChannelError, type BoxChannelFailure } from './box-channel-error';
export type { BoxChannelOptions, BoxSubscription, SubscribeOptions } from './box-channel-options';
export type { TerminalListener } from './box-channel-terminals';
export type { RejectedEvent, RejectedReason } from './rejected-lines';
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

/** Events held for a subscription whose id is not known yet: one chunk's worth in practice; more is abuse. */
const MAX_UNBOUND_BYTES = MAX_SERVE_LINE_BYTES;

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
  private readonly pending = new PendingRequests((failure, message, remoteCode) =>
    this.error(failure, message, remoteCode),
  );
  private subscriptions = new Set<LocalSubscription>();
  private readonly terminals = new TerminalRoutes();
  /** Events for a subscription id not bound yet (its subscribe answer is still on the way). */
  private unbound: { message: ProtocolEventMessage; bytes: number }[] = [];
  private unboundBytes = 0;
  /** Reading paused by the consumer (backpressure): applies to every transport this channel opens. */
  private readingPaused = false;
  private subscribing = 0;
  private closed = false;
  private reopenTimer: NodeJS.Timeout | undefined;
  private reopenAttempt = 0;
  /** What the runtime said when the current channel opened. */
  hello: { version: string; root: string } | undefined;
  /** When the last valid line arrived (ms epoch), for staleness checks. */
  lastMessageAt = 0;
  /**
   * Bytes read from the runtime over every channel this client opened: progress even while no line completes (a
   * long line being discarded), which is how a consumer tells a slow stream from a stuck one.
   */
  receivedBytes = 0;

  constructor(private readonly options: BoxChannelOptions) {}

  get isOpen(): boolean {
    return this.live !== undefined;
  }

  /** Opens the channel now (otherwise the first request or subscription does). */
  async connect(): Promise<void> {
    await this.ensureOpen();
  }

  /**
   * Backpressure: stops reading the serve channel (lines already read wait in the line reader, the rest in the
   * transport: the SSH window or the box's pipe) until `resumeReading()`. Answers to requests wait too.
   */
  pauseReading(): void {
    if (this.readingPaused) return;
    this.readingPaused = true;
    if (this.live) pauseLive(this.live);
  }

  resumeReading(): void {
    if (!this.readingPaused) return;
    this.readingPaused = false;
    const live = this.live;
    if (!live) return;
    live.reader.resume();
    // Lines held in the reader may have made the consumer pause again.
    if (!this.readingPaused) live.transport.stdout.resume();
  }

  /** Bytes the line reader holds now (a partial line, a chunk held while paused). */
  get bufferedBytes(): number {
    return this.live?.reader.bufferedBytes ?? 0;
  }

  /**
   * Routes the pushes of the terminal stream named `stream` (the caller names it in its `terminal` request, so the
   * route exists before the first push) to `listener`, until `forgetTerminal`. Pushes of unknown streams are dropped.
   */
  listenTerminal(stream: string, listener: TerminalListener): void {
    this.terminals.listen(stream, listener);
  }

  forgetTerminal(stream: string): void {
    this.terminals.forget(stream);
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
      // reported to the caller but the subscription stays, unless the channel was closed for good. A channel that
      // never opened (the box was down from the start) has no drop to reopen after: the retry is scheduled here.
      if (this.closed) this.subscriptions.delete(sub);
      else if (!this.live) this.scheduleReopen();
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
    const generation = ++this.generation;
    const timeoutMs = this.options.openTimeoutMs ?? 20_000;
    let live: Live | undefined;
    const greeted = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(this.error('timeout', `the runtime did not say hello within ${timeoutMs} ms`)),
        timeoutMs,
      );
      let greetedYet = false;
      const reader = new LineReader(
        (line, bytes) => {
          if (!live || live.generation !== this.generation) return;
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
          this.onLine(live, line, bytes);
        },
        this.options.maxLineBytes ?? MAX_SERVE_LINE_BYTES,
        (oversize) => {
          if (live && live.generation === this.generation) this.onOversize(live, oversize);
        },
      );
      live = { transport, generation, reader };
      if (this.readingPaused) pauseLive(live);
      transport.stdout.on('data', (chunk: Buffer) => {
        this.receivedBytes += chunk.length;
        reader.push(chunk);
      });
      const opened = live;
      void transport.closed.then(() => {
        clearTimeout(timer);
        const tail = transport.stderrTail().trim();
        reject(this.error('channel_closed', `the serve channel closed before hello${tail ? `: ${tail}` : ''}`));
        this.onClosed(opened);
      });
    });
    if (!live) throw this.error('open_failed', 'the serve channel did not start');
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
    this.live = live as Live;
    this.reopenAttempt = 0;
    this.options.onState?.('open', `runtime ${this.hello?.version ?? '?'}`);
    return live as Live;
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
    this.pending.rejectAll(this.error('channel_closed', why));
    this.unbound = [];
    this.unboundBytes = 0;
    for (const sub of this.subscriptions) sub.remoteId = undefined;
    this.options.onState?.('dropped', why);
    if (!this.closed && this.subscriptions.size > 0) this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.reopenTimer || this.closed) return;
    const { initial, max } = this.options.reopenDelayMs ?? { initial: 200, max: 10_000 };
    const delay = Math.min(max, initial * 2 ** Math.min(this.reopenAttempt, 40));
    this.reopenAttempt++;
    this.options.onReopenScheduled?.(this.reopenAttempt, delay);
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
      // The answer and a line that broke the channel can come in one read: the channel was then dropped (which
      // forgot every subscription id so that the reopen subscribes again) before this line runs. Binding the dead
      // channel's id now would make the reopen skip this subscription, and its stream would never restart.
      if (!sub.active || this.live !== live) return;
      sub.remoteId = answer.subscription;
    } catch (error) {
      // A subscription the runtime may have made but we never learnt the id of would push events nobody reads.
      if (error instanceof BoxChannelError && error.failure === 'timeout') this.fail(live, 'subscribe timed out');
      throw error;
    } finally {
      this.subscribing--;
    }
    const early = this.unbound.filter((m) => m.message.subscription === sub.remoteId);
    this.unbound = this.subscribing > 0 ? this.unbound.filter((m) => m.message.subscription !== sub.remoteId) : [];
    this.unboundBytes = this.unbound.reduce((sum, m) => sum + m.bytes, 0);
    for (const { message, bytes } of early) sub.options.onEvent(message.event, message.cursor, bytes);
  }

  // ---- lines in, requests out ----------------------------------------------------------------------------------

  private onLine(live: Live, line: string, bytes: number): void {
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
      if (!parsed.success) {
        // An event we cannot read must not be skipped silently: told to its subscription (which records it and
        // moves past it) when the line names one and its cursor; otherwise the stream restarts from the committed
        // cursor.
        const rejected = rejectedEventOf(json, line, bytes, parsed.error);
        const sub = rejected && this.subscriptionFor(rejected.subscription);
        if (!rejected || !sub?.options.onRejected) {
          this.fail(live, `invalid event message: ${parsed.error.issues[0]?.message}`);
          return;
        }
        this.lastMessageAt = Date.now();
        sub.options.onRejected(rejected.event);
        return;
      }
      this.lastMessageAt = Date.now();
      this.deliver(live, parsed.data, bytes);
      return;
    }
    if (type === 'terminal' || type === 'terminal_end') {
      this.lastMessageAt = Date.now();
      this.terminals.route(json, type);
      return;
    }
    if (type === 'response') {
      const parsed = ProtocolResponseSchema.safeParse(json);
      if (!parsed.success) {
        this.fail(live, `invalid response: ${parsed.error.issues[0]?.message}`);
        return;
      }
      this.lastMessageAt = Date.now();
      this.pending.answer(parsed.data);
    }
  }

  private deliver(live: Live, message: ProtocolEventMessage, bytes: number): void {
    const sub = this.subscriptionFor(message.subscription);
    if (sub) {
      sub.options.onEvent(message.event, message.cursor, bytes);
      return;
    }
    if (this.subscribing === 0) return;
    this.unbound.push({ message, bytes });
    this.unboundBytes += bytes;
    if (this.unboundBytes > MAX_UNBOUND_BYTES) this.fail(live, 'too many events for a subscription not made yet');
  }

  private subscriptionFor(remoteId: string): LocalSubscription | undefined {
    for (const sub of this.subscriptions) if (sub.remoteId === remoteId) return sub;
    return undefined;
  }

  /**
   * A line longer than the limit, already discarded. Its first bytes say what it was: an answer fails its request
   * at once (instead of a timeout), an event is told to its subscription (to be recorded and passed). Never a
   * restart: the same line would come again, forever.
   */
  private onOversize(live: Live, line: OversizeLine): void {
    const found = rejectedOversizeLine(line);
    if (found.kind === 'response' && this.pending.failOversize(found.id, line.bytes)) return;
    if (found.kind === 'event') {
      const sub = this.subscriptionFor(found.subscription);
      if (sub?.options.onRejected) {
        sub.options.onRejected(found.event);
        return;
      }
      if (sub) {
        this.fail(live, `an event line of ${line.bytes} bytes is longer than the limit`);
        return;
      }
    }
    this.options.onState?.('line_discarded', `a line of ${line.bytes} bytes, longer than the limit`);
  }

  private async send<O extends ProtocolOp>(live: Live, input: BoxRequestFor<O>): Promise<ProtocolResult<O>> {
    if (this.live !== live) return Promise.reject(this.error('channel_closed', 'the channel dropped'));
    const { id, result } = this.pending.add(input.op, this.options.requestTimeoutMs ?? 30_000);
    live.transport.stdin.write(`${JSON.stringify({ v: PROTOCOL_VERSION, id, ...input })}\n`);
    return result as Promise<ProtocolResult<O>>;
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

function pauseLive(live: Live): void {
  live.reader.pause();
  live.transport.stdout.pause();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
