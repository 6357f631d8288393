import type { RolloutBoxSchema, RolloutBoxStatusSchema, RolloutSchema } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import type { z } from 'zod';
import type { ServiceClients } from '../clients';

export type RolloutView = z.infer<typeof RolloutSchema>;
export type RolloutBoxView = z.infer<typeof RolloutBoxSchema>;
type RolloutBoxStatus = z.infer<typeof RolloutBoxStatusSchema>;

type RolloutRow = Awaited<ReturnType<typeof loadRows>>[number];

function loadRows(prisma: PrismaClient, where: { id?: string }, take: number) {
  return prisma.rollout.findMany({
    where,
    include: { release: { select: { version: true } }, boxes: { select: { batch: true }, distinct: ['batch'] } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take,
  });
}

function view(row: RolloutRow): RolloutView {
  return {
    id: row.id,
    release: row.release.version,
    status: row.status,
    reason: row.reason,
    canarySize: row.canarySize,
    batchSize: row.batchSize,
    concurrency: row.concurrency,
    maxFailures: row.maxFailures,
    currentBatch: row.currentBatch,
    batches: row.boxes.filter((b) => b.batch >= 0).length,
    totalBoxes: row.totalBoxes,
    succeededBoxes: row.succeededBoxes,
    failedBoxes: row.failedBoxes,
    rolledBackBoxes: row.rolledBackBoxes,
    offlineBoxes: row.offlineBoxes,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function listRollouts({ prisma }: Pick<ServiceClients, 'prisma'>, limit = 50): Promise<RolloutView[]> {
  return (await loadRows(prisma, {}, limit)).map(view);
}

/** One rollout with each of its boxes, in rollout order: what the console and `paddock rollout status` draw. */
export async function getRollout(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  rolloutId: string,
): Promise<(RolloutView & { boxes: RolloutBoxView[] }) | null> {
  const [row] = await loadRows(prisma, { id: rolloutId }, 1);
  if (!row) return null;
  const boxes = await prisma.rolloutBox.findMany({
    where: { rolloutId },
    include: { box: { select: { name: true, tenantId: true } } },
    orderBy: { position: 'asc' },
  });
  return {
    ...view(row),
    boxes: boxes.map((b) => ({
      boxId: b.boxId,
      boxName: b.box.name,
      tenantId: b.box.tenantId,
      position: b.position,
      batch: b.batch,
      // The column's CHECK constraint holds it to these values.
      status: b.status as RolloutBoxStatus,
      deployId: b.deployId,
      error: b.error,
      startedAt: b.startedAt?.toISOString() ?? null,
      finishedAt: b.finishedAt?.toISOString() ?? null,
    })),
  };
}
