import type { PrismaClient } from '@paddock/db';
import type { Queues } from '@paddock/jobs';

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

export interface FleetSnapshot {
  /** Null when Postgres could not be read. */
  postgres: {
    boxes: Array<{ status: string; n: number }>;
    alerts: Array<{ severity: string; code: string; n: number }>;
    jobs: Array<{ name: string; status: string; n: number }>;
    collectors: Array<{ boxId: string; eventsIngested: number; lastEventAgeSeconds: number | null }>;
    lastSeen: Array<{ boxId: string; ageSeconds: number }>;
  } | null;
  /** Per queue, its job counts by state; null when Redis could not be read (or no queues were given). */
  queues: Array<readonly [string, Record<string, number>]> | null;
}

/** One read of what the fleet gauges show: a handful of grouped queries, bounded by the number of boxes. */
export async function readFleetSnapshot(sources: { prisma: PrismaClient; queues?: Queues }): Promise<FleetSnapshot> {
  const [postgres, queues] = await Promise.all([
    readPostgres(sources.prisma).catch(() => null),
    sources.queues ? readQueues(sources.queues).catch(() => null) : Promise.resolve(null),
  ]);
  return { postgres, queues };
}

async function readPostgres(prisma: PrismaClient): Promise<NonNullable<FleetSnapshot['postgres']>> {
  // Ages are computed on the database's clock (as the collector's leases are), so a skewed host cannot distort them.
  const [boxes, alerts, jobs, collectors, lastSeen] = await Promise.all([
    prisma.$queryRaw<Array<{ status: string; n: number }>>`
      SELECT status::text AS status, count(*)::int AS n FROM boxes GROUP BY status`,
    prisma.$queryRaw<Array<{ severity: string; code: string; n: number }>>`
      SELECT severity::text AS severity, code, count(*)::int AS n FROM alerts WHERE status = 'open'
       GROUP BY severity, code`,
    prisma.$queryRaw<Array<{ name: string; status: string; n: number }>>`
      SELECT name, status::text AS status, count(*)::int AS n FROM job_records
       WHERE status IN ('queued', 'running', 'retrying') GROUP BY name, status`,
    prisma.$queryRaw<Array<{ box_id: string; n: string; age: number | null }>>`
      SELECT c.box_id::text AS box_id, c.events_ingested::text AS n,
             greatest(0, extract(epoch FROM now() - c.last_event_at))::float8 AS age
        FROM collector_cursors c JOIN boxes b ON b.id = c.box_id WHERE b.status <> 'destroyed'`,
    prisma.$queryRaw<Array<{ box_id: string; age: number }>>`
      SELECT id::text AS box_id, greatest(0, extract(epoch FROM now() - last_seen_at))::float8 AS age
        FROM boxes WHERE status <> 'destroyed' AND last_seen_at IS NOT NULL`,
  ]);
  return {
    boxes,
    alerts,
    jobs,
    collectors: collectors.map((row) => ({
      boxId: row.box_id,
      eventsIngested: Number(row.n),
      lastEventAgeSeconds: row.age,
    })),
    lastSeen: lastSeen.map((row) => ({ boxId: row.box_id, ageSeconds: row.age })),
  };
}

async function readQueues(queues: Queues): Promise<Array<readonly [string, Record<string, number>]>> {
  return Promise.all(
    Object.entries(queues).map(async ([name, queue]) => [name, await queue.getJobCounts(...QUEUE_STATES)] as const),
  );
}
