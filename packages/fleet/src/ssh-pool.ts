import type { HostKeyPolicy } from './host-key';
import { discardEvents, type FleetRecorder } from './recorder';
import { FleetError } from './errors';
import { SshConnection } from './ssh-connection';
import { noObserver, notify, type SshObserver } from './ssh-observer';
import { type BoxTarget, DEFAULT_SSH_TIMEOUTS, type SshTimeouts } from './ssh-options';

export interface SshPoolOptions {
  timeouts?: Partial<SshTimeouts>;
  recorder?: FleetRecorder;
  /** A connection unused this long (and running nothing) is closed. Default 5 minutes. */
  idleCloseMs?: number;
  /** Told of connections and commands (the apps' metrics); nothing by default. */
  observer?: SshObserver;
}

/**
 * Owns every SSH connection of the control plane: one per box, reused by all callers, dialled again after a drop.
 * Services receive the pool as an argument; nothing else opens SSH connections.
 */
export class SshPool {
  readonly timeouts: SshTimeouts;
  readonly recorder: FleetRecorder;
  readonly observer: SshObserver;
  private readonly idleCloseMs: number;
  private connections = new Map<string, SshConnection>();
  private dialing = new Map<string, Promise<SshConnection>>();
  private learnedFingerprints = new Map<string, string>();
  private retiredBytesSent = 0;
  private retiredBytesReceived = 0;
  private sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(options: SshPoolOptions = {}) {
    this.timeouts = { ...DEFAULT_SSH_TIMEOUTS, ...options.timeouts };
    this.recorder = options.recorder ?? discardEvents;
    this.observer = options.observer ?? noObserver;
    this.idleCloseMs = options.idleCloseMs ?? 5 * 60_000;
    this.sweeper = setInterval(() => this.closeIdle(), Math.min(this.idleCloseMs, 30_000));
    this.sweeper.unref();
  }

  /** A live connection to the box, reusing the open one; concurrent callers share a single dial. */
  async connect(target: BoxTarget): Promise<SshConnection> {
    if (this.closed) throw new Error('SshPool is closed');
    const key = poolKey(target);
    const existing = this.connections.get(key);
    if (existing?.alive) {
      existing.lastUsedAt = Date.now();
      return existing;
    }
    if (existing) this.retire(key, existing);
    const inProgress = this.dialing.get(key);
    if (inProgress) return inProgress;
    const observer = this.observer;
    const dial = SshConnection.open(this.withLearnedKey(target), this.timeouts, this.recorder, observer)
      .then(
        (connection) => {
          if (target.hostKey.kind === 'trust-on-first-use') this.learnedFingerprints.set(key, connection.fingerprint);
          this.connections.set(key, connection);
          notify(observer, (o) => o.connectionOpened?.());
          void connection.closed.then(() => notify(observer, (o) => o.connectionClosed?.()));
          return connection;
        },
        (error: unknown) => {
          notify(observer, (o) => o.connectFailed?.(error instanceof FleetError ? error.failure : 'other'));
          throw error;
        },
      )
      .finally(() => this.dialing.delete(key));
    this.dialing.set(key, dial);
    return dial;
  }

  /** The fingerprint learned by trust-on-first-use in this process, so later dials are pinned to it. */
  learnedFingerprint(target: BoxTarget): string | undefined {
    return this.learnedFingerprints.get(poolKey(target));
  }

  /** Bytes written to and read from every box's socket since the pool was made (benchmarks, deploy rows). */
  traffic(): { sent: number; received: number } {
    let sent = this.retiredBytesSent;
    let received = this.retiredBytesReceived;
    for (const connection of this.connections.values()) {
      sent += connection.bytesSent;
      received += connection.bytesReceived;
    }
    return { sent, received };
  }

  /** Drops the box's connection at once, in-flight work included (a box being destroyed). */
  evict(target: BoxTarget): void {
    const key = poolKey(target);
    const connection = this.connections.get(key);
    if (connection) {
      connection.destroy();
      this.retire(key, connection);
    }
  }

  /** Closes every connection, each once its in-flight work is done or at the deadline. */
  async close(deadlineMs = this.timeouts.commandMs): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    await Promise.allSettled([...this.dialing.values()]);
    await Promise.all([...this.connections.values()].map((c) => c.close(deadlineMs)));
    for (const [key, connection] of this.connections) this.retire(key, connection);
  }

  private closeIdle(): void {
    const now = Date.now();
    for (const [key, connection] of this.connections) {
      if (!connection.alive) this.retire(key, connection);
      else if (!connection.busy && now - connection.lastUsedAt > this.idleCloseMs) {
        this.retire(key, connection);
        void connection.close();
      }
    }
  }

  private retire(key: string, connection: SshConnection): void {
    if (this.connections.get(key) !== connection) return;
    this.connections.delete(key);
    this.retiredBytesSent += connection.bytesSent;
    this.retiredBytesReceived += connection.bytesReceived;
  }

  private withLearnedKey(target: BoxTarget): BoxTarget {
    const learned = this.learnedFingerprints.get(poolKey(target));
    if (target.hostKey.kind !== 'trust-on-first-use' || !learned) return target;
    const pinned: HostKeyPolicy = { kind: 'pinned', fingerprint: learned };
    return { ...target, hostKey: pinned };
  }
}

// Keyed by box and address: a box that moved (new IP after a rebuild) gets a fresh connection.
function poolKey(target: BoxTarget): string {
  return `${target.id}|${target.username}@${target.host}:${target.port}`;
}
