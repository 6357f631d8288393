import type { PrismaClient } from '@paddock/db';
import { findTenantRun } from './find-run';

export interface RunEventPage {
  events: { seq: number; step: string; kind: string; event: Record<string, unknown>; occurredAt: string }[];
  nextAfter: number | null;
}

/**
 * A run's events as the collector stored them (from Postgres, never from the box), in seq order after `after`.
 * The run must be the tenant's: another tenant's run is not found.
 */
export async function listRunEvents(
  prisma: PrismaClient,
  tenantId: string,
  runId: string,
  page: { after: number; limit: number },
): Promise<RunEventPage> {
  await findTenantRun(prisma, tenantId, runId);
  return readRunEvents(prisma, tenantId, runId, page);
}

/** The page read alone, for a caller that already checked the run (a stream polling it). */
export async function readRunEvents(
  prisma: PrismaClient,
  tenantId: string,
  runId: string,
  page: { after: number; limit: number },
): Promise<RunEventPage> {
  const rows = await prisma.usageEvent.findMany({
    where: { tenantId, runId, seq: { gt: page.after } },
    orderBy: [{ seq: 'asc' }, { id: 'asc' }],
    take: page.limit + 1,
    select: { seq: true, stepName: true, type: true, payload: true, occurredAt: true },
  });
  const events = rows.slice(0, page.limit).map((row) => ({
    seq: row.seq,
    step: row.stepName ?? '',
    kind: row.type,
    event: (row.payload ?? {}) as Record<string, unknown>,
    occurredAt: row.occurredAt.toISOString(),
  }));
  const last = events[events.length - 1];
  return { events, nextAfter: rows.length > page.limit && last ? last.seq : null };
}

/** Whether a run can still produce events (a stream follows it until it cannot). */
export async function runIsOver(prisma: PrismaClient, tenantId: string, runId: string): Promise<boolean> {
  const run = await prisma.run.findFirst({
    where: { id: runId, tenantId },
    select: { status: true, finishedAt: true },
  });
  return !run || run.status === 'succeeded' || run.status === 'failed' || run.status === 'canceled';
}
