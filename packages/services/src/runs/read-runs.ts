import { AppError } from '@paddock/contracts';
import type { Prisma, PrismaClient } from '@paddock/db';
import { runNotFound } from './find-run';
import { money, RUN_SUMMARY_SELECT, type RunSummary, toRunSummary } from './run-replies';

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
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
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
    nextCursor: rows.length > input.limit && last ? encodeCursor(last.createdAt, last.id) : null,
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

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)\|([0-9a-f-]{36})$/.exec(text);
  const createdAt = match ? new Date(match[1] as string) : undefined;
  if (!match || !createdAt || Number.isNaN(createdAt.getTime())) {
    throw new AppError('validation_failed', 'The cursor is not one this API gave out.', {
      details: [{ path: 'querystring.cursor', message: 'must be a nextCursor from a previous page' }],
    });
  }
  return { createdAt, id: match[2] as string };
}
