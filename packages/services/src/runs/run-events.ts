import { MAX_EVENT_PAGE_BYTES } from '@paddock/contracts';
import { Prisma } from '@paddock/db';
import { runNotFound } from './find-run';
import type { ServiceClients } from '../clients';

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
  /** How many events the count-limited read found (limit + 1 means there are more), before the byte budget. */
  fetched: number | null;
}

// The event columns as a page shows them; the instant already in the API's text form.
const EVENT_COLUMNS = Prisma.sql`
  e.seq, e.step_name AS "stepName", e.type AS kind, e.payload,
  to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt", e.fetched`;

/**
 * The next `limit` events of a run after `after`, bounded in bytes too: the events whose stored JSON, added up in
 * order, fits in `budget` (the first one always, so a page always moves on), plus how many the count-limited read
 * found. The sizes are summed in the database, so an event past the budget is never sent to the API at all.
 * (jsonb's text form, with its spaces, is a little larger than the JSON the reply carries: the bound holds.)
 * Since ingestion caps an event at MAX_EVENT_BYTES, below the budget, the "first one always" case never exceeds it
 * for events stored since; it only keeps pages moving over rows stored before the cap.
 */
function boundedPage(where: Prisma.Sql, limit: number, budget: number): Prisma.Sql {
  return Prisma.sql`
    SELECT seq, step_name, type, payload, occurred_at, id, fetched FROM (
      SELECT w.*, sum(w.bytes) OVER (ORDER BY w.seq, w.id) AS running, count(*) OVER ()::int AS fetched
        FROM (SELECT seq, step_name, type, payload, occurred_at, id, octet_length(payload::text)::bigint AS bytes
                FROM usage_events
               WHERE ${where}
               ORDER BY seq, id
               LIMIT ${limit + 1}) w
    ) s
    WHERE s.running <= ${budget} OR s.running = s.bytes`;
}

/**
 * A run's events as the collector stored them (from Postgres, never from the box), in seq order after `after`, at
 * most `limit` of them and at most `budget` bytes (a page stops early rather than answer tens of MB).
 * The run must be the tenant's: another tenant's run is not found. One statement: the run, and its page joined
 * to it (a run without events yet is one row of nulls, a run that is not the tenant's no row at all).
 */
export async function listRunEvents(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  runId: string,
  page: { after: number; limit: number },
  budget = MAX_EVENT_PAGE_BYTES,
): Promise<RunEventPage> {
  const where = Prisma.sql`tenant_id = r.tenant_id AND run_id = r.id AND seq > ${page.after}`;
  const rows = await prisma.$queryRaw<EventRow[]>`
    SELECT ${EVENT_COLUMNS}
      FROM runs r
      LEFT JOIN LATERAL (${boundedPage(where, page.limit, budget)}) e ON true
     WHERE r.id = ${runId}::uuid AND r.tenant_id = ${tenantId}::uuid
     ORDER BY e.seq, e.id`;
  if (rows.length === 0) throw runNotFound(runId);
  return toPage(rows, page.limit);
}

/** The page read alone, for a caller that already checked the run (a stream polling it). */
export async function readRunEvents(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  runId: string,
  page: { after: number; limit: number },
  budget = MAX_EVENT_PAGE_BYTES,
): Promise<RunEventPage> {
  const where = Prisma.sql`tenant_id = ${tenantId}::uuid AND run_id = ${runId}::uuid AND seq > ${page.after}`;
  const rows = await prisma.$queryRaw<EventRow[]>`
    SELECT ${EVENT_COLUMNS} FROM (${boundedPage(where, page.limit, budget)}) e ORDER BY e.seq, e.id`;
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
  // More to read: the count-limited read found more than this page holds (cut by count or by bytes).
  const more = (stored[0]?.fetched ?? 0) > events.length;
  return { events, nextAfter: more && last ? last.seq : null };
}

/** Whether a run can still produce events (a stream follows it until it cannot). */
export async function runIsOver(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  runId: string,
): Promise<boolean> {
  const run = await prisma.run.findFirst({
    where: { id: runId, tenantId },
    select: { status: true, finishedAt: true },
  });
  return !run || run.status === 'succeeded' || run.status === 'failed' || run.status === 'canceled';
}
