import type { Prisma, PrismaClient } from '@paddock/db';
import { runNotFound } from './find-run';
import { money, RUN_SUMMARY_SELECT, type RunSummary, toRunSummary } from './run-replies';
import { decodeCreatedAtCursor, encodeCreatedAtCursor } from '../pagination/created-at-cursor';

export interface ListRunsInput {
  status?: 'queued' | 'running' | 'waiting_decision' | 'succeeded' | 'failed' | 'canceled' | undefined;
  chain?: string | undefined;
  since?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** The tenant's runs, newest first, a page at a time (keyset on created_at, id: stable while runs are added). */
export async function listRuns(
  prisma: PrismaClient,
  tenantId: string,
  input: ListRunsInput,
): Promise<{ runs: RunSummary[]; nextCursor: string | null }> {
  const after = input.cursor === undefined ? undefined : decodeCreatedAtCursor(input.cursor);
  const where: Prisma.RunWhereInput = {
    tenantId,
    ...(input.status ? { status: input.status } : {}),
    ...(input.chain ? { chain: { name: input.chain } } : {}),
    ...(input.since ? { createdAt: { gte: new Date(input.since) } } : {}),
    ...(after
      ? {
          OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }],
        }
      : {}),
  };
  const rows = await prisma.run.findMany({
    where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: input.limit + 1,
    select: RUN_SUMMARY_SELECT,
  });
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  return {
    runs: page.map(toRunSummary),
    nextCursor: rows.length > input.limit && last ? encodeCreatedAtCursor(last.createdAt, last.id) : null,
  };
}

/** One run with every step attempt and its pending decisions. */
export async function getRun(prisma: PrismaClient, tenantId: string, runId: string) {
  const row = await prisma.run.findFirst({
    where: { id: runId, tenantId },
    select: {
      ...RUN_SUMMARY_SELECT,
      inputs: true,
      steps: { orderBy: [{ position: 'asc' }, { attempt: 'asc' }] },
      decisions: { where: { status: 'pending' }, select: { id: true }, orderBy: { createdAt: 'asc' } },
    },
  });
  if (!row) throw runNotFound(runId);
  return {
    ...toRunSummary(row),
    inputs: (row.inputs ?? {}) as Record<string, unknown>,
    steps: row.steps.map((step) => ({
      name: step.name,
      position: step.position,
      attempt: step.attempt,
      status: step.status,
      model: step.model,
      ...money(step),
      durationMs: step.durationMs,
      exitCode: step.exitCode,
      error: step.error,
      startedAt: step.startedAt?.toISOString() ?? null,
      finishedAt: step.finishedAt?.toISOString() ?? null,
    })),
    pendingDecisionIds: row.decisions.map((d) => d.id),
  };
}
