import { BoxStatus, type PrismaClient } from '@paddock/db';
import type { Queues } from '@paddock/jobs';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type FleetSnapshot, QUEUE_STATES, readFleetSnapshot } from './read-fleet-snapshot';

export interface FleetGaugeSources {
  prisma: PrismaClient;
  /** BullMQ's queues: their depth by state. Optional (a process without queue clients leaves those out). */
  queues?: Queues;
}

/**
 * The fleet's state as gauges, read from Postgres (and Redis for queue depth) once per scrape: boxes by status,
 * open alerts, open job records by name, queue depth, and per box what the collector has ingested and how far behind
 * it may be. The same in every process that exposes them (they read shared state): aggregate with max(), not sum().
 * Labels hold only codes and box ids: never tenant names, emails or anything a tenant typed.
 * A source that cannot be read shows as `paddock_metrics_source_up{source} 0` (its series absent), not a failed scrape.
 */
export function registerFleetGauges(registry: Registry, sources: FleetGaugeSources): void {
  // Every gauge's collect() of one scrape starts in the same tick: they share one read.
  let pending: Promise<FleetSnapshot> | undefined;
  const snapshot = () => {
    pending ??= readFleetSnapshot(sources).finally(() => {
      pending = undefined;
    });
    return pending;
  };
  const registers = [registry];

  new Gauge({
    name: 'paddock_metrics_source_up',
    help: 'Whether this scrape could read the source (postgres, redis) behind the fleet gauges',
    labelNames: ['source'] as const,
    registers,
    async collect() {
      const s = await snapshot();
      this.reset();
      this.set({ source: 'postgres' }, s.postgres ? 1 : 0);
      if (sources.queues) this.set({ source: 'redis' }, s.queues ? 1 : 0);
    },
  });

  new Gauge({
    name: 'paddock_boxes',
    help: 'Boxes by status',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const s = (await snapshot()).postgres;
      this.reset();
      if (!s) return;
      for (const status of Object.values(BoxStatus)) this.set({ status }, 0);
      for (const row of s.boxes) this.set({ status: row.status }, row.n);
    },
  });

  new Gauge({
    name: 'paddock_alerts_open',
    help: 'Open (not acknowledged, not resolved) alerts by severity and code',
    labelNames: ['severity', 'code'] as const,
    registers,
    async collect() {
      const s = (await snapshot()).postgres;
      this.reset();
      for (const row of s?.alerts ?? []) this.set({ severity: row.severity, code: row.code }, row.n);
    },
  });

  new Gauge({
    name: 'paddock_jobs',
    help: 'Job records not finished yet, by job name and status (queued, running, retrying)',
    labelNames: ['name', 'status'] as const,
    registers,
    async collect() {
      const s = (await snapshot()).postgres;
      this.reset();
      for (const row of s?.jobs ?? []) this.set({ name: row.name, status: row.status }, row.n);
    },
  });

  if (sources.queues) {
    new Gauge({
      name: 'paddock_queue_jobs',
      help: 'BullMQ queue depth by queue and state',
      labelNames: ['queue', 'state'] as const,
      registers,
      async collect() {
        const counts = (await snapshot()).queues;
        this.reset();
        for (const [queue, byState] of counts ?? []) {
          for (const state of QUEUE_STATES) this.set({ queue, state }, byState[state] ?? 0);
        }
      },
    });
  }

  new Counter({
    name: 'paddock_collector_events_ingested_total',
    help: 'Events the collectors stored from each box (collector_cursors.events_ingested), by box id',
    labelNames: ['box_id'] as const,
    registers,
    async collect() {
      const s = (await snapshot()).postgres;
      this.reset();
      for (const row of s?.collectors ?? []) this.inc({ box_id: row.boxId }, row.eventsIngested);
    },
  });

  new Gauge({
    name: 'paddock_collector_lag_seconds',
    help:
      'Per box: seconds since the newest collected event was written on the box (lag while the box is busy; ' +
      'idle time when it is not). Read with paddock_box_last_seen_age_seconds: when that grows too, nobody ' +
      'is collecting the box.',
    labelNames: ['box_id'] as const,
    registers,
    async collect() {
      const s = (await snapshot()).postgres;
      this.reset();
      for (const row of s?.collectors ?? []) {
        if (row.lastEventAgeSeconds !== null) this.set({ box_id: row.boxId }, row.lastEventAgeSeconds);
      }
    },
  });

  new Gauge({
    name: 'paddock_box_last_seen_age_seconds',
    help: 'Per box: seconds since the control plane last heard from it (collector channel, health beat)',
    labelNames: ['box_id'] as const,
    registers,
    async collect() {
      const s = (await snapshot()).postgres;
      this.reset();
      for (const row of s?.lastSeen ?? []) this.set({ box_id: row.boxId }, row.ageSeconds);
    },
  });
}
