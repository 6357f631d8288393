import type { PGlite } from '@electric-sql/pglite';
import { ReadyForQueryTracker, SYNC_MESSAGE, TERMINATE } from './wire-protocol';

const ROLLBACK_QUERY = (() => {
  const sql = Buffer.from('ROLLBACK\0');
  const header = Buffer.alloc(5);
  header.write('Q', 0);
  header.writeInt32BE(sql.length + 4, 1);
  return new Uint8Array(Buffer.concat([header, sql]));
})();

interface Waiter {
  handlerId: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface SessionMultiplexerOptions {
  /**
   * A connection that sits in an open transaction doing nothing while others wait is disconnected after this
   * long (PostgreSQL's idle_in_transaction_session_timeout), so one stuck client cannot stall everyone.
   */
  idleInTransactionTimeoutMs: number;
  /** Called with the handler to disconnect when it overstayed; the server closes its socket. */
  onIdleInTransaction: (handlerId: number) => void;
}

/**
 * Shares PGlite's single backend session between many client connections, correctly.
 *
 * PGlite is one PostgreSQL session. pglite-socket's own multiplexer (0.2.x) interleaves individual protocol
 * messages from different connections, which breaks the extended query protocol that node-postgres and Prisma
 * always use: one client's Bind lands on another client's unnamed statement ("unnamed prepared statement does not
 * exist", wrong rows). Here a connection owns the session from its first message until the server answers
 * ReadyForQuery with status idle: a whole simple query, a whole Parse..Sync batch, a whole COPY, or a whole
 * transaction. Others queue in arrival order. This is the same contract as pglite-socket's queue (enqueue,
 * clearQueueForHandler, clearTransactionIfNeeded), so its PGLiteSocketHandler still does the socket work.
 */
export class SessionMultiplexer {
  private owner: number | null = null;
  private busy = false;
  private lastActivity = Date.now();
  private readonly waiters: Waiter[] = [];
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: PGlite,
    private readonly options: SessionMultiplexerOptions,
  ) {}

  async enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    if (message[0] === TERMINATE) {
      // The client is leaving; PGlite's shared session must not see its Terminate.
      await this.abandon(handlerId);
      return 0;
    }
    await this.acquire(handlerId);
    const tracker = new ReadyForQueryTracker();
    let bytes = 0;
    this.busy = true;
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(message, {
          onRawData: (data) => {
            bytes += data.length;
            tracker.push(data);
            onData(data);
          },
        }),
      );
    } catch (error) {
      this.busy = false;
      await this.abandon(handlerId);
      throw error;
    }
    this.busy = false;
    this.lastActivity = Date.now();
    // Idle: the unit of work is over. 'T'/'E' (open transaction) or no ReadyForQuery yet (mid Parse..Sync): keep.
    if (tracker.lastReady === 'I') this.release(handlerId);
    return bytes;
  }

  /** Called by the handler when its connection goes away: forget its queued turn. */
  clearQueueForHandler(handlerId: number): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i];
      if (waiter?.handlerId !== handlerId) continue;
      this.waiters.splice(i, 1);
      waiter.reject(new Error('connection closed'));
    }
  }

  /** Called by the handler when its connection goes away: undo what it left half done. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    await this.abandon(handlerId);
  }

  get queueLength(): number {
    return this.waiters.length;
  }

  close(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private acquire(handlerId: number): Promise<void> {
    if (this.owner === null || this.owner === handlerId) {
      this.owner = handlerId;
      return Promise.resolve();
    }
    this.startWatchdog();
    return new Promise((resolve, reject) => this.waiters.push({ handlerId, resolve, reject }));
  }

  private release(handlerId: number): void {
    if (this.owner !== handlerId) return;
    const next = this.waiters.shift();
    this.owner = next?.handlerId ?? null;
    this.lastActivity = Date.now();
    next?.resolve();
  }

  /** Ends whatever the connection left open (a Parse..Sync batch, a transaction) and passes the session on. */
  private async abandon(handlerId: number): Promise<void> {
    this.clearQueueForHandler(handlerId);
    if (this.owner !== handlerId) return;
    try {
      await this.db.runExclusive(async () => {
        const tracker = new ReadyForQueryTracker();
        await this.db.execProtocolRawStream(SYNC_MESSAGE, { onRawData: (data) => tracker.push(data) });
        if (tracker.lastReady !== 'I') await this.db.execProtocolRawStream(ROLLBACK_QUERY, { onRawData: () => {} });
      });
    } finally {
      this.release(handlerId);
    }
  }

  private startWatchdog(): void {
    if (this.watchdog) return;
    const every = Math.max(50, Math.min(1_000, this.options.idleInTransactionTimeoutMs / 4));
    this.watchdog = setInterval(() => {
      if (this.waiters.length === 0 || this.owner === null) {
        this.close();
        return;
      }
      if (!this.busy && Date.now() - this.lastActivity > this.options.idleInTransactionTimeoutMs) {
        const stuck = this.owner;
        this.lastActivity = Date.now();
        this.options.onIdleInTransaction(stuck);
      }
    }, every);
    this.watchdog.unref();
  }
}
