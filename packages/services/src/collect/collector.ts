import type { Pool, PoolClient } from 'pg';
import type { BoxChannelOptions, OpenTransport } from '@paddock/fleet';
import { type BatchListener, BoxCollector, type BoxCollectorTimings, type CollectorLog } from './box-collector';
import {
  announcePresence,
  type ClaimedBox,
  claimBoxes,
  countCollectableBoxes,
  countCollectors,
  ensureCursorRows,
  releaseAllBoxes,
  releaseBoxes,
  renewLeases,
} from './collector-leases';
import type { BoxHealthRules } from '../box-health/judge-box-health';
import { markLostRuns } from '../box-health/mark-lost-runs';
import { markSilentBoxes } from '../box-health/mark-silent-boxes';
import type { SystemFigures } from './record-box-health';

/** How a collector reaches a box: its serve channel, and optionally its machine figures. */
export interface BoxConnector {
  transport(box: ClaimedBox): OpenTransport;
  probe?(box: ClaimedBox): Promise<SystemFigures>;
}

export interface CollectorOptions extends Partial<BoxCollectorTimings> {
  pool: Pool;
  /** Unique per process (a worker id): the lease holder's name in `collector_cursors.owner_id`. */
  ownerId: string;
  connector: BoxConnector;
  log: CollectorLog;
  /**
   * A box is another collector's to take once its lease is this old (default 15 s), or once its owner's presence lock
   * is gone and it has missed two renewals (a killed worker: seconds).
   */
  leaseMs?: number;
  /** Leases are renewed, dead owners' boxes claimed and boxes rebalanced this often. Default 2 s (at most a third of the lease). */
  tickMs?: number;
  /** Most boxes this process streams at once, whatever its share. Default no limit. */
  maxBoxes?: number;
  channel?: Partial<Omit<BoxChannelOptions, 'boxId' | 'open'>>;
  onBatch?: BatchListener;
  /** A box in service with no contact this long becomes `unreachable` and raises `box_silent`. Default 2 minutes. */
  silentMs?: number;
  /** Runs on a box whose daemon was not seen this long become `lost` (markLostRuns). Default 10 minutes. */
  lostRunsMs?: number;
  healthRules?: BoxHealthRules;
}

/**
 * The long-running collector of one worker process. Every tick it renews the leases of the boxes it streams, gives
 * back what exceeds its fair share (boxes / live collectors) and claims free boxes up to that share, so boxes
 * spread over however many workers run. A dead worker's boxes are claimed by the others once its leases expire;
 * its unfinished batch was never committed, and the new owner resumes from the stored cursor.
 */
export class Collector {
  private readonly boxes = new Map<string, BoxCollector>();
  private timer: NodeJS.Timeout | undefined;
  private presence: PoolClient | undefined;
  private ticking: Promise<void> | undefined;
  private lastRenewedAt = Date.now();
  private stopped = false;
  private readonly leaseMs: number;
  private readonly tickMs: number;
  private readonly silentMs: number;
  private readonly lostRunsMs: number;
  private startedAt = Date.now();

  constructor(private readonly options: CollectorOptions) {
    this.leaseMs = options.leaseMs ?? 15_000;
    this.tickMs = options.tickMs ?? Math.max(100, Math.min(2_000, Math.floor(this.leaseMs / 3)));
    this.silentMs = options.silentMs ?? 120_000;
    this.lostRunsMs = options.lostRunsMs ?? 600_000;
  }

  /** Boxes this collector streams now. */
  owned(): string[] {
    return [...this.boxes.keys()];
  }

  box(boxId: string): BoxCollector | undefined {
    return this.boxes.get(boxId);
  }

  async start(): Promise<void> {
    this.startedAt = Date.now();
    this.presence = await announcePresence({ pg: this.options.pool }, this.options.ownerId);
    // Rows under our id now are a previous life's (same WORKER_ID, restarted): nobody streams them, free them now.
    await releaseAllBoxes({ pg: this.options.pool }, this.options.ownerId);
    // A presence connection that dies (database restart) is replaced on the next tick.
    this.presence.on('error', () => {
      this.presence = undefined;
    });
    await this.tick();
    this.timer = setInterval(() => {
      this.ticking ??= this.tick().finally(() => {
        this.ticking = undefined;
      });
    }, this.tickMs);
    this.timer.unref();
  }

  /** Stops every box stream (letting batches being written finish) and gives the boxes back at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    const ids = this.owned();
    await Promise.all([...this.boxes.values()].map((b) => b.stop()));
    this.boxes.clear();
    await releaseBoxes({ pg: this.options.pool }, { ownerId: this.options.ownerId, boxIds: ids }).catch(
      (error: unknown) => {
        this.options.log.warn({ err: error }, 'releasing boxes failed; their leases expire on their own');
      },
    );
    const presence = this.presence;
    this.presence = undefined;
    if (presence) {
      // Resolve once the presence connection is closed, not merely told to close (a pool hands back its client
      // before its socket ends): only then has the lock gone for other collectors, and a caller that drops the
      // database next does not terminate it mid-close. The pool announces the close with 'remove'.
      const { pool } = this.options;
      const closed = new Promise<void>((resolve) => {
        const onRemove = (client: unknown) => {
          if (client !== presence) return;
          pool.off('remove', onRemove);
          resolve();
        };
        pool.on('remove', onRemove);
      });
      presence.release(true);
      await closed;
    }
  }

  /** One round of renew, rebalance, claim. Runs on a timer; tests may call it to skip the wait. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const { pool, ownerId } = this.options;
    try {
      if (!this.presence) this.presence = await announcePresence({ pg: pool }, ownerId);
      await ensureCursorRows({ pg: pool });
      const kept = await renewLeases({ pg: pool }, { ownerId, leaseMs: this.leaseMs, boxIds: this.owned() });
      this.lastRenewedAt = Date.now();
      for (const boxId of this.owned()) {
        if (!kept.has(boxId)) await this.drop(boxId, 'lease lost or box no longer collectable');
      }
      for (const silent of await markSilentBoxes({ pg: pool }, { boxIds: this.owned(), silentMs: this.silentMs })) {
        this.options.log.warn({ boxId: silent.boxId, lastSeenAt: silent.lastSeenAt }, 'box silent: marked unreachable');
      }
      // Only once this collector has had `lostRunsMs` to reach its boxes: after a control-plane outage every
      // daemon looks long unseen, and its runs must not be declared lost before anyone tried to reach them.
      if (Date.now() - this.startedAt >= this.lostRunsMs) {
        for (const run of await markLostRuns({ pg: pool }, { lostMs: this.lostRunsMs })) {
          this.options.log.warn({ boxId: run.boxId, runId: run.runId, reason: run.reason }, 'run marked lost');
        }
      }
      const [total, live] = await Promise.all([countCollectableBoxes({ pg: pool }), countCollectors({ pg: pool })]);
      const share = Math.min(this.options.maxBoxes ?? Number.POSITIVE_INFINITY, Math.ceil(total / live));
      if (this.boxes.size > share) await this.giveBack(this.boxes.size - share);
      if (this.boxes.size < share) {
        const claimed = await claimBoxes(
          { pg: pool },
          {
            ownerId,
            leaseMs: this.leaseMs,
            limit: share - this.boxes.size,
            // Two missed renewals: a live owner whose presence connection dropped re-announces within one tick.
            orphanAfterMs: 2 * this.tickMs,
          },
        );
        for (const box of claimed) await this.adopt(box);
      }
    } catch (error) {
      this.options.log.error({ err: error }, 'collector tick failed');
      // Unable to renew for a whole lease: others may own our boxes by now. Stop streaming them (the cursor
      // compare-and-set already keeps us from writing; this stops the useless reading).
      if (Date.now() - this.lastRenewedAt > this.leaseMs) {
        for (const boxId of this.owned()) await this.drop(boxId, 'leases could not be renewed');
      }
    }
  }

  private async adopt(box: ClaimedBox): Promise<void> {
    if (this.boxes.has(box.boxId) || this.stopped) return;
    const { connector } = this.options;
    const probe = connector.probe?.bind(connector);
    let open: OpenTransport;
    try {
      open = connector.transport(box);
    } catch (error) {
      // A box this process cannot reach at all (misconfigured connector): leave it to expire for another worker.
      this.options.log.error({ boxId: box.boxId, err: error }, 'no transport for box; not collecting it');
      return;
    }
    const collector = new BoxCollector({
      ...this.options,
      box,
      open,
      ...(probe ? { probe: () => probe(box) } : {}),
      onLost: (boxId) => {
        if (this.boxes.get(boxId) === collector) this.boxes.delete(boxId);
      },
    });
    this.boxes.set(box.boxId, collector);
    this.options.log.info({ boxId: box.boxId, cursor: box.cursor }, 'collecting box');
    // Not awaited: an unreachable box must not hold up the tick (its channel keeps retrying on its own).
    void collector.start();
  }

  private async drop(boxId: string, why: string): Promise<void> {
    const collector = this.boxes.get(boxId);
    if (!collector) return;
    this.boxes.delete(boxId);
    this.options.log.warn({ boxId, why }, 'stopped collecting box');
    await collector.stop();
  }

  /** Rebalancing: stop streaming `count` boxes, then release them so a collector with room takes them at once. */
  private async giveBack(count: number): Promise<void> {
    const ids = this.owned().slice(-count);
    await Promise.all(ids.map((id) => this.boxes.get(id)?.stop()));
    for (const id of ids) this.boxes.delete(id);
    await releaseBoxes({ pg: this.options.pool }, { ownerId: this.options.ownerId, boxIds: ids });
    this.options.log.info({ boxIds: ids }, 'gave boxes back for rebalancing');
  }
}
