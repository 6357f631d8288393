import { type BoxLayout, boxServeCommand, DEFAULT_BOX_LAYOUT, type SshPool } from '@paddock/fleet';
import type { Vault } from '@paddock/vault';
import type { Pool } from 'pg';
import { loadBoxTarget } from '../boxes/box-target';
import type { BatchListener, BoxCollectorTimings, CollectorLog } from './box-collector';
import { Collector } from './collector';
import { sshBoxConnector } from './ssh-box-connector';

/** How often things happen; every field has a production default (see `Collector` and `BoxCollector`). */
export interface CollectorTimings extends BoxCollectorTimings {
  /** A box's lease (default 15 s); a killed worker's boxes are taken over sooner, once its presence lock is gone. */
  leaseMs: number;
  /** Renew leases and rebalance this often. Default 2 s (at most a third of the lease). */
  tickMs: number;
  /** Longest wait for one answer of a box. Default 30 s. */
  requestTimeoutMs: number;
  /** Waits between attempts to reopen a dropped channel: doubling from initial to max. Default 200 ms to 5 min. */
  reopenDelayMs: { initial: number; max: number };
  /** A box in service with no contact this long becomes `unreachable` and raises `box_silent`. Default 2 min. */
  silentMs: number;
  /** Runs on a box whose runtime daemon was not seen this long become `lost`. Default 10 min. */
  lostRunsMs: number;
}

export interface StartCollectorOptions {
  /** Plain pg pool: it holds one connection for the collector's presence, plus one per batch being written. */
  pool: Pool;
  /** Opens the boxes' SSH keys (`ssh_keys.private_key_encrypted`). */
  vault: Vault;
  /** The worker's SSH pool: the serve channel and the health probe ride on each box's pooled connection. */
  ssh: SshPool;
  /** Unique per worker process (the worker id): the lease holder's name. */
  ownerId: string;
  log: CollectorLog;
  timings?: Partial<CollectorTimings>;
  /** Where the runtime is installed on the boxes. Default the fleet's default layout. */
  layout?: BoxLayout;
  /** Most boxes this process streams at once, whatever its fair share. Default no limit. */
  maxBoxes?: number;
  onBatch?: BatchListener;
}

export interface RunningCollector {
  readonly collector: Collector;
  /** Stops every stream, lets batches being written commit, and releases the boxes for other workers at once. */
  stop(): Promise<void>;
}

/**
 * The usage collector of one worker process: claims its fair share of the tenant boxes (leases in
 * `collector_cursors`), holds each box's `chainctl serve --stdio` channel over SSH, writes events to Postgres in
 * batches with the cursor, records box health. Resolves once the first round of claims is done.
 */
export async function startCollector(options: StartCollectorOptions): Promise<RunningCollector> {
  const layout = options.layout ?? DEFAULT_BOX_LAYOUT;
  const { leaseMs, tickMs, requestTimeoutMs, reopenDelayMs, silentMs, lostRunsMs, ...boxTimings } =
    options.timings ?? {};
  const collector = new Collector({
    ...boxTimings,
    pool: options.pool,
    ownerId: options.ownerId,
    log: options.log,
    connector: sshBoxConnector({
      ssh: options.ssh,
      target: (boxId) => loadBoxTarget({ pg: options.pool, vault: options.vault }, boxId),
      serveCommand: boxServeCommand(layout),
      dataDir: layout.dataDir,
    }),
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    ...(tickMs !== undefined ? { tickMs } : {}),
    ...(silentMs !== undefined ? { silentMs } : {}),
    ...(lostRunsMs !== undefined ? { lostRunsMs } : {}),
    ...(options.maxBoxes !== undefined ? { maxBoxes: options.maxBoxes } : {}),
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    channel: {
      ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}),
      ...(reopenDelayMs ? { reopenDelayMs } : {}),
    },
  });
  await collector.start();
  let stopping: Promise<void> | undefined;
  return {
    collector,
    stop: () => {
      stopping ??= collector.stop();
      return stopping;
    },
  };
}
