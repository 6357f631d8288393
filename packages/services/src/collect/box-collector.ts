import { MAX_COLLECTOR_BUFFER_BYTES, MAX_EVENT_BYTES, type RunEvent } from '@paddock/contracts';
import type { Pool } from 'pg';
import {
  BoxChannel,
  BoxChannelError,
  type BoxChannelOptions,
  type BoxSubscription,
  type OpenTransport,
  type RejectedEvent,
} from '@paddock/fleet';
import { type QuarantineEntry, quarantineRejected, tooLargeEvent } from '../ingest/screen-events';
import type { ClaimedBox } from './collector-leases';
import { CursorMovedError, ingestEvents } from '../ingest/ingest-events';
import { clearReconnectState, recordReconnectScheduled } from '../box-health/reconnect-state';
import type { BoxHealthRules } from '../box-health/judge-box-health';
import { reviveLostRuns } from '../box-health/revive-lost-runs';
import { recordBoxHealth, recordBoxSeen, type SystemFigures } from './record-box-health';
import { currentBoxCapsWithPool } from '../limits/box-caps';

export interface CollectorLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface BoxCollectorTimings {
  /** Most events per transaction. Default 2,000. */
  maxBatch: number;
  /** How often the box is asked whether it has events the stream did not deliver. Default 10 s. */
  catchUpMs: number;
  /** How often health and machine figures are recorded. Default 30 s. */
  healthMs: number;
  /** First wait after a failed write, doubling up to 30 s. Default 500 ms. */
  retryDelayMs: number;
  /**
   * Bytes of events held (received, not written yet) before the serve channel is paused; reading resumes below half
   * of it. Default MAX_COLLECTOR_BUFFER_BYTES.
   */
  maxBufferedBytes: number;
}

export interface BoxCollectorOptions extends Partial<BoxCollectorTimings> {
  pool: Pool;
  box: ClaimedBox;
  ownerId: string;
  open: OpenTransport;
  probe?: () => Promise<SystemFigures>;
  channel?: Partial<Omit<BoxChannelOptions, 'boxId' | 'open'>>;
  log: CollectorLog;
  /** The box was taken over by another collector (its cursor moved under us): this collector has stopped. */
  onLost: (boxId: string) => void;
  /** Each batch as it starts and once committed (metrics; crash tests kill the process between the two). */
  onBatch?: BatchListener;
  /** What a health answer must show for `ready` (default DEFAULT_BOX_HEALTH_RULES). */
  healthRules?: BoxHealthRules;
}

/**
 * Reopening a box that does not answer: doubling from 200 ms (a dropped connection comes back at once) to 5 minutes,
 * so a box that stays away (a deleted test box, a machine powered off) costs a few attempts an hour, not one every
 * few seconds for ever. The channel resets it when the box answers.
 */
export const COLLECTOR_REOPEN_DELAY_MS = { initial: 200, max: 300_000 };
const KEPT_RECONNECT_DELAYS = 32;

export type BatchListener = (batch: { boxId: string; phase: 'writing' | 'written'; size: number }) => void;

/** An event to store, or one the channel or the size check rejected (to quarantine), in stream order. */
type Pending =
  | { event: RunEvent; cursor: string; bytes: number; quarantine?: undefined }
  | { quarantine: QuarantineEntry; cursor: string; bytes: number; event?: undefined };

/**
 * Streams one box into Postgres: a subscription from the committed cursor, events gathered while the previous
 * batch is being written (so batches grow under load and stay single events when idle: low latency either way),
 * each batch written with its cursor in one transaction. Whatever goes wrong (a dropped channel, a failed write)
 * the buffer is dropped and the stream restarted from the committed cursor: the box is the source of truth, the
 * collector only ever holds what it has not written yet.
 */
export class BoxCollector {
  readonly boxId: string;
  private readonly channel: BoxChannel;
  private readonly timings: BoxCollectorTimings;
  private subscription: BoxSubscription | undefined;
  private committed: string;
  private buffer: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /**
   * Where the stream stood when the box last said it had more than the stream delivered: the committed cursor and
   * the channel's byte count once that check's answer was in.
   */
  private suspected: { cursor: string; receivedBytes: number } | undefined;
  /** Bytes of the events held now: buffered plus the batch being written (their serve lines' sizes). */
  private heldBytes = 0;
  readonly stats = {
    batches: 0,
    inserted: 0,
    duplicates: 0,
    quarantined: 0,
    restarts: 0,
    lastError: '',
    /** The most event bytes this collector ever held at once (bounded by maxBufferedBytes plus one serve line). */
    peakHeldBytes: 0,
    /** How often reading was paused because writing fell behind. */
    pauses: 0,
    /** The waits before the latest reopen attempts, oldest first (the last 32): the backoff as it was applied. */
    reconnectDelays: [] as number[],
  };
  /** Why the channel last failed to open or dropped (kept with the reconnect state). */
  private lastChannelError: string | null = null;
  /** Reconnect-state writes, in the order they happened. */
  private reconnectWrites: Promise<void> = Promise.resolve();

  constructor(private readonly options: BoxCollectorOptions) {
    this.boxId = options.box.boxId;
    this.committed = options.box.cursor;
    this.timings = {
      maxBatch: options.maxBatch ?? 2_000,
      catchUpMs: options.catchUpMs ?? 10_000,
      healthMs: options.healthMs ?? 30_000,
      retryDelayMs: options.retryDelayMs ?? 500,
      maxBufferedBytes: options.maxBufferedBytes ?? MAX_COLLECTOR_BUFFER_BYTES,
    };
    this.channel = new BoxChannel({
      reopenDelayMs: COLLECTOR_REOPEN_DELAY_MS,
      ...options.channel,
      boxId: this.boxId,
      open: options.open,
      onState: (state, detail) => {
        if (state === 'open') {
          this.lastChannelError = null;
          void this.seen();
          void this.sendCaps();
          return;
        }
        if (state === 'dropped' || state === 'reopen_failed') this.lastChannelError = detail;
        options.log.warn({ boxId: this.boxId, state, detail }, 'box channel');
      },
      onReopenScheduled: (attempt, delayMs) => this.reconnectScheduled(attempt, delayMs),
    });
  }

  /** The cursor stored with the last batch this collector wrote. */
  get cursor(): string {
    return this.committed;
  }

  async start(): Promise<void> {
    this.timers.push(setInterval(() => void this.catchUp(), this.timings.catchUpMs));
    this.timers.push(setInterval(() => void this.recordHealth(), this.timings.healthMs));
    this.timers.push(setInterval(() => void this.sendCaps(), this.timings.healthMs));
    for (const timer of this.timers) timer.unref();
    // The first subscribe may fail (box down): the channel keeps reopening and resubscribing on its own.
    try {
      this.subscription = await this.channel.subscribe({
        resumeFrom: () => this.resumePoint(),
        onRestart: () => this.dropBuffer(),
        onEvent: (event, cursor, bytes) => this.accept(event, cursor, bytes),
        onRejected: (rejected) => this.acceptRejected(rejected),
        onCursorRefused: (cursor, error) => this.restartFromScratch(cursor, error.message),
      });
      void this.recordHealth();
    } catch (error) {
      this.lastChannelError = error instanceof Error ? error.message : String(error);
      this.options.log.warn({ boxId: this.boxId, err: error }, 'box not reachable yet; retrying in the background');
    }
  }

  private reconnectScheduled(attempt: number, delayMs: number): void {
    const delays = this.stats.reconnectDelays;
    delays.push(delayMs);
    if (delays.length > KEPT_RECONNECT_DELAYS) delays.shift();
    const error = this.lastChannelError;
    this.reconnectWrites = this.reconnectWrites
      .then(() =>
        recordReconnectScheduled(
          { pg: this.options.pool },
          {
            boxId: this.boxId,
            ownerId: this.options.ownerId,
            failures: attempt,
            delayMs,
            error,
          },
        ),
      )
      .catch((failure: unknown) => {
        this.options.log.warn({ boxId: this.boxId, err: failure }, 'recording the reconnect state failed');
      });
  }

  /** Stops streaming, lets the batch being written finish, closes the channel. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.retryTimer);
    await this.subscription?.close().catch(() => {});
    await this.flushing;
    this.buffer = [];
    this.heldBytes = 0;
    await this.channel.close();
  }

  /** Exposed for tests and benchmarks: the channel this collector streams over. */
  get boxChannel(): BoxChannel {
    return this.channel;
  }

  /** Bytes of events held now (buffered and being written): what the box costs this worker in memory. */
  get bufferedBytes(): number {
    return this.heldBytes;
  }

  private accept(event: RunEvent, cursor: string, bytes: number): void {
    // An event too large to store is not held either: only what the quarantine keeps of it.
    if (bytes > MAX_EVENT_BYTES) {
      const quarantine = tooLargeEvent(event, cursor, bytes);
      this.hold({ quarantine, cursor, bytes: Buffer.byteLength(quarantine.excerpt) });
      return;
    }
    this.hold({ event, cursor, bytes });
  }

  private acceptRejected(rejected: RejectedEvent): void {
    // Rejections the channel reports always carry a cursor (it cannot attribute a line without one).
    if (rejected.cursor === undefined) return;
    const quarantine = quarantineRejected(rejected);
    this.hold({ quarantine, cursor: rejected.cursor, bytes: Buffer.byteLength(quarantine.excerpt) });
  }

  private hold(item: Pending): void {
    // While a failed write waits for its retry, the stream restarts from the committed cursor anyway.
    if (this.stopped || this.retryTimer) return;
    this.buffer.push(item);
    this.heldBytes += item.bytes;
    if (this.heldBytes > this.stats.peakHeldBytes) this.stats.peakHeldBytes = this.heldBytes;
    // Backpressure: the box waits (its bytes stay in the SSH window and its own pipe) until writing catches up.
    if (this.heldBytes >= this.timings.maxBufferedBytes) {
      this.stats.pauses++;
      this.channel.pauseReading();
    }
    if (!this.flushing) this.flushing = this.flushLoop();
  }

  /** Forgets `bytes` of held events (written or dropped) and resumes reading once below half the bound. */
  private release(bytes: number): void {
    this.heldBytes = Math.max(0, this.heldBytes - bytes);
    if (this.heldBytes <= this.timings.maxBufferedBytes / 2) this.channel.resumeReading();
  }

  private async flushLoop(): Promise<void> {
    try {
      // Let the rest of the chunk that carried this event arrive: one transaction for what came together.
      await new Promise((r) => setImmediate(r));
      while (this.buffer.length > 0 && !this.stopped) {
        const batch = this.buffer.splice(0, this.timings.maxBatch);
        const batchBytes = batch.reduce((sum, p) => sum + p.bytes, 0);
        const toCursor = batch[batch.length - 1]?.cursor as string;
        const events = batch.filter((p) => p.event !== undefined);
        this.options.onBatch?.({ boxId: this.boxId, phase: 'writing', size: batch.length });
        try {
          const result = await ingestEvents(
            { pg: this.options.pool },
            {
              boxId: this.boxId,
              tenantId: this.options.box.tenantId,
              ownerId: this.options.ownerId,
              fromCursor: this.committed,
              toCursor,
              events: events.map((p) => p.event as RunEvent),
              cursors: events.map((p) => p.cursor),
              quarantined: batch.flatMap((p) => (p.quarantine ? [p.quarantine] : [])),
            },
          );
          this.committed = toCursor;
          this.failures = 0;
          this.stats.batches++;
          this.stats.inserted += result.inserted;
          this.stats.duplicates += result.duplicates;
          this.stats.quarantined += result.quarantined;
          this.release(batchBytes);
          this.options.onBatch?.({ boxId: this.boxId, phase: 'written', size: batch.length });
        } catch (error) {
          this.onWriteFailed(error);
          return;
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private onWriteFailed(error: unknown): void {
    this.stats.lastError = error instanceof Error ? error.message : String(error);
    this.dropBuffer();
    if (error instanceof CursorMovedError) {
      if (error.stored?.ownerId !== this.options.ownerId) {
        this.options.log.warn({ boxId: this.boxId, stored: error.stored }, 'box taken over by another collector');
        void this.stop().then(() => this.options.onLost(this.boxId));
        return;
      }
      // Ours, but the stored cursor is not where we thought (someone reset it): follow the database.
      this.committed = error.stored.cursor;
    } else {
      this.options.log.error({ boxId: this.boxId, err: error }, 'writing events failed; will restart the stream');
    }
    this.failures++;
    const delay = Math.min(30_000, this.timings.retryDelayMs * 2 ** (this.failures - 1));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) void this.restart();
    }, delay);
    this.retryTimer.unref();
  }

  private async restart(): Promise<void> {
    this.stats.restarts++;
    await this.subscription?.restart().catch((error: unknown) => {
      this.options.log.warn({ boxId: this.boxId, err: error }, 'restarting the stream failed; the channel retries');
    });
  }

  private dropBuffer(): void {
    this.buffer = [];
    // The batch being written (if any) still counts until it settles; a restart waits for it (resumePoint).
    this.heldBytes = 0;
    this.channel.resumeReading();
  }

  /** Where a (re)subscription starts: after the batch being written, whatever its outcome. */
  private async resumePoint(): Promise<string | undefined> {
    while (this.flushing) await this.flushing;
    return this.committed === '' ? undefined : this.committed;
  }

  /**
   * The box no longer knows our cursor (its journal was reset: a reinstalled box). Starting from its beginning is
   * safe: events already stored are recognised by their keys and skipped.
   */
  private async restartFromScratch(cursor: string, why: string): Promise<undefined> {
    this.options.log.warn(
      { boxId: this.boxId, cursor, why },
      'box refused the stored cursor; reading it from the start',
    );
    await this.options.pool.query(
      `UPDATE collector_cursors SET cursor = '', updated_at = now() WHERE box_id = $1 AND owner_id = $2 AND cursor = $3`,
      [this.boxId, this.options.ownerId, cursor],
    );
    this.committed = '';
    return undefined;
  }

  /**
   * The periodic catch-up: asks the box for anything after the committed cursor. The stream is judged stuck, and
   * restarted from the cursor, only when the box had more at two checks in a row and in between the cursor did not
   * move and not one byte arrived on the channel. A slow stream is not stuck: a box discarding a flood of
   * oversized lines, or a loaded machine, delivers bytes without completing an event for seconds, and restarting it
   * would read the same flood again, forever. A dropped channel is reopened by the channel itself; this covers a
   * channel that is open but no longer delivering.
   */
  private async catchUp(): Promise<void> {
    if (this.stopped || !this.channel.isOpen || this.flushing || this.buffer.length > 0 || this.retryTimer) return;
    const receivedBefore = this.channel.receivedBytes;
    try {
      const page = await this.channel.request({
        op: 'events',
        ...(this.committed ? { since: this.committed } : {}),
        limit: 1,
      });
      if (page.events.length === 0) {
        this.suspected = undefined;
        return;
      }
      const suspected = this.suspected;
      if (suspected && suspected.cursor === this.committed && suspected.receivedBytes === receivedBefore) {
        this.options.log.warn(
          { boxId: this.boxId, cursor: this.committed },
          'stream fell behind the box; restarting it',
        );
        this.suspected = undefined;
        await this.restart();
      } else {
        this.suspected = { cursor: this.committed, receivedBytes: this.channel.receivedBytes };
      }
    } catch (error) {
      this.options.log.warn({ boxId: this.boxId, err: error }, 'catch-up check failed');
    }
  }

  /** The channel (re)opened: the box is seen, its backoff is over, and its health is judged at once. */
  private async seen(): Promise<void> {
    await recordBoxSeen({ pg: this.options.pool }, this.boxId, this.channel.hello?.version).catch((error: unknown) => {
      this.options.log.warn({ boxId: this.boxId, err: error }, 'recording the box as seen failed');
    });
    this.reconnectWrites = this.reconnectWrites
      .then(() => clearReconnectState({ pg: this.options.pool }, { boxId: this.boxId, ownerId: this.options.ownerId }))
      .catch((error: unknown) => {
        this.options.log.warn({ boxId: this.boxId, err: error }, 'clearing the reconnect state failed');
      });
    void this.recordHealth();
  }

  /**
   * Re-sends the box the caps it holds on its own (plan limits, the hard spend cap's budget at the cursor this
   * collector has stored): the authoritative remainder reaches the box whenever the control plane can reach it.
   */
  private async sendCaps(): Promise<void> {
    if (this.stopped || !this.channel.isOpen) return;
    try {
      const caps = await currentBoxCapsWithPool(this.options.pool, this.options.box.tenantId, this.boxId);
      if (caps) await this.channel.request({ op: 'caps', caps });
    } catch (error) {
      this.options.log.warn({ boxId: this.boxId, err: error }, 'sending the box its caps failed');
    }
  }

  private async hasRun(runtimeRunId: string): Promise<boolean> {
    try {
      await this.channel.request({ op: 'status', run_id: runtimeRunId });
      return true;
    } catch (error) {
      if (error instanceof BoxChannelError && error.failure === 'remote_error' && error.remoteCode === 'not_found') {
        return false;
      }
      throw error;
    }
  }

  private async recordHealth(): Promise<void> {
    if (this.stopped || !this.channel.isOpen) return;
    try {
      const [health, figures] = await Promise.all([
        this.channel.request({ op: 'health' }),
        this.options.probe?.().catch(() => undefined),
      ]);
      // Runs declared lost while the daemon was away: the box says which it still has (before the beat moves
      // daemon_seen_at on, so a failure here is retried by the next beat).
      if (health.daemon.running)
        await reviveLostRuns({ pg: this.options.pool }, this.boxId, (runId) => this.hasRun(runId));
      await recordBoxHealth({ pg: this.options.pool }, this.boxId, {
        version: health.version,
        health,
        ...(figures ? { figures } : {}),
        ...(this.options.healthRules ? { rules: this.options.healthRules } : {}),
      });
    } catch (error) {
      this.options.log.warn({ boxId: this.boxId, err: error }, 'recording box health failed');
    }
  }
}
