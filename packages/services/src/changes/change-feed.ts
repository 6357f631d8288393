import pg from 'pg';
import { CHANGES_CHANNEL, type ChangeTopic, topicKey } from './change-topics';

export interface ChangeFeedLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface ChangeFeedOptions {
  databaseUrl: string;
  log: ChangeFeedLog;
  /** While the listening connection is down, waits end after this long so readers fall back to polling. */
  fallbackMs?: number;
  /** First wait before reconnecting, doubling up to 10 s. Default 250 ms. */
  reconnectDelayMs?: number;
}

/**
 * A reader's interest in one topic, from its creation on: a change that lands while the reader is busy re-querying
 * is remembered, so the next `next()` returns at once instead of waiting for a change that already happened.
 */
export interface ChangeWatch {
  /**
   * Resolves at once if the topic changed since the last call, else at the next change, after `timeoutMs`, when
   * `signal` aborts, or (connection down) after the fallback period. The caller re-queries in every case.
   */
  next(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  close(): void;
}

class TopicWatch implements ChangeWatch {
  private changed = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly feed: ChangeFeed,
    readonly key: string,
    private readonly onClose: (watch: TopicWatch) => void,
  ) {}

  notify(): void {
    this.changed = true;
    this.wake?.();
  }

  next(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.changed || signal?.aborted || this.feed.isClosed) {
      this.changed = false;
      return Promise.resolve();
    }
    const limit = this.feed.isListening ? timeoutMs : Math.min(timeoutMs, this.feed.fallbackMs);
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wake = undefined;
        this.changed = false;
        resolve();
      };
      const timer = setTimeout(done, limit);
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  close(): void {
    this.wake?.();
    this.onClose(this);
  }
}

/**
 * One LISTEN connection per API process, shared by every reader that waits for a change (decision streams, run
 * event streams). A wait ends on the matching notification, at its timeout, or sooner while the connection is down
 * (readers then re-query on a short period: slower, never wrong). On reconnect every watch is woken, since
 * notifications sent meanwhile are lost.
 */
export class ChangeFeed {
  private client: pg.Client | undefined;
  private readonly watches = new Map<string, Set<TopicWatch>>();
  private listening = false;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ChangeFeedOptions) {}

  /** True while notifications arrive (metrics, readiness). */
  get isListening(): boolean {
    return this.listening;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get fallbackMs(): number {
    return this.options.fallbackMs ?? 1_000;
  }

  /** Connects and listens; a failure is logged and retried in the background (readers poll meanwhile). */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Starts following `topic`; close the watch when done with it. */
  watch(topic: ChangeTopic): ChangeWatch {
    const watch = new TopicWatch(this, topicKey(topic), (w) => {
      const set = this.watches.get(w.key);
      set?.delete(w);
      if (set?.size === 0) this.watches.delete(w.key);
    });
    let set = this.watches.get(watch.key);
    if (!set) {
      set = new Set();
      this.watches.set(watch.key, set);
    }
    set.add(watch);
    return watch;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.wakeAll();
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.options.databaseUrl, keepAlive: true });
    client.on('notification', (message) => {
      if (message.channel === CHANGES_CHANNEL && message.payload) this.wake(message.payload);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.client !== client || this.closed) return;
    this.listening = true;
    if (this.attempt > 0) this.options.log.info({}, 'change feed listening again');
    this.attempt = 0;
    // Whatever was announced while nobody listened is lost: everyone looks again.
    this.wakeAll();
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.listening = false;
    client.end().catch(() => {});
    if (this.closed) return;
    this.options.log.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'change feed lost its connection; readers poll until it is back',
    );
    this.wakeAll();
    const delay = Math.min(10_000, (this.options.reconnectDelayMs ?? 250) * 2 ** this.attempt);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private wake(key: string): void {
    const set = this.watches.get(key);
    if (set) for (const watch of set) watch.notify();
  }

  private wakeAll(): void {
    for (const set of this.watches.values()) for (const watch of set) watch.notify();
  }
}
