import { Prisma, type PrismaClient } from '@paddock/db';
import { runNotFound } from './find-run';

export interface RunEventPage {
  events: { seq: number; step: string; kind: string; event: Record<string, unknown>; occurredAt: string }[];
  nextAfter: number | null;
}

interface EventRow {
  seq: number | null;
  stepName: string | null;
  kind: string | null;
  payload: Prisma.JsonValue;
  /** Date#toISOString's form, written by SQL. */
  occurredAt: string | null;
}

// The event columns as a page shows them; the instant already in the API's text form.
const EVENT_COLUMNS = Prisma.sql`
  e.seq, e.step_name AS "stepName", e.type AS kind, e.payload,
  to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt"`;

/**
 * A run's events as the collector stored them (from Postgres, never from the box), in seq order after `after`.
 * The run must be the tenant's: another tenant's run is not found. One statement: the run, and its page joined
 * to it (a run without events yet is one row of nulls, a run that is not the tenant's no row at all).
 */
export async function listRunEvents(
  prisma: PrismaClient,
  tenantId: string,
  runId: string,
  page: { after: number; limit: number },
): Promise<RunEventPage> {
  const rows = await prisma.$queryRaw<EventRow[]>`
    SELECT ${EVENT_COLUMNS}
      FROM runs r
      LEFT JOIN LATERAL (
        SELECT seq, step_name, type, payload, occurred_at, id
          FROM usage_events
         WHERE tenant_id = r.tenant_id AND run_id = r.id AND seq > ${page.after}
         ORDER BY seq, id
         LIMIT ${page.limit + 1}
      ) e ON true
     WHERE r.id = ${runId}::uuid AND r.tenant_id = ${tenantId}::uuid
     ORDER BY e.seq, e.id`;
  if (rows.length === 0) throw runNotFound(runId);
  return toPage(rows, page.limit);
}

/** The page read alone, for a caller that already checked the run (a stream polling it). */
export async function readRunEvents(
  prisma: PrismaClient,
  tenantId: string,
  runId: string,
  page: { after: number; limit: number },
): Promise<RunEventPage> {
  const rows = await prisma.$queryRaw<EventRow[]>`
    SELECT ${EVENT_COLUMNS}
      FROM usage_events e
     WHERE e.tenant_id = ${tenantId}::uuid AND e.run_id = ${runId}::uuid AND e.seq > ${page.after}
     ORDER BY e.seq, e.id
     LIMIT ${page.limit + 1}`;
  return toPage(rows, page.limit);
}

function toPage(rows: EventRow[], limit: number): RunEventPage {
  const stored = rows.filter((row): row is EventRow & { seq: number; kind: string; occurredAt: string } => {
    return row.seq !== null;
  });
  const events = stored.slice(0, limit).map((row) => ({
    seq: row.seq,
    step: row.stepName ?? '',
    kind: row.kind,
    event: (row.payload ?? {}) as Record<string, unknown>,
    occurredAt: row.occurredAt,
  }));
  const last = events[events.length - 1];
  return { events, nextAfter: stored.length > limit && last ? last.seq : null };
}

/** Whether a run can still produce events (a stream follows it until it cannot). */
export async function runIsOver(prisma: PrismaClient, tenantId: string, runId: string): Promise<boolean> {
  const run = await prisma.run.findFirst({
    where: { id: runId, tenantId },
    select: { status: true, finishedAt: true },
  });
  return !run || run.status === 'succeeded' || run.status === 'failed' || run.status === 'canceled';
}
