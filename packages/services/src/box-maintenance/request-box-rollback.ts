import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import { enqueueJob, type Queues } from '@paddock/jobs';
import { createPrismaJobRecords } from '@paddock/jobs';
import { operatorActor, type RequestFacts, writeAudit } from '../audit/audit-entry';

const SERVING = ['ready', 'unhealthy'] as const;

/**
 * An operator puts one box back on the release it ran before its current one (the fleet keeps earlier releases on
 * the box). The target is decided now, from the box's last successful deploy to its current release, so what the
 * operator confirmed is what runs: the Deploy row (`rollback`, queued) and the audit entry are written first, then
 * the `box.rollback` job does the switch, health check included, under the box's deploy lock.
 */
export async function requestBoxRollback(
  deps: { prisma: PrismaClient; queues: Queues },
  input: { boxId: string; reason: string },
  operator: { userId: string; email: string },
  request: RequestFacts = {},
): Promise<{ deployId: string; jobRecordId: string; release: string; previousRelease: string }> {
  const box = await deps.prisma.box.findUnique({
    where: { id: input.boxId },
    select: { tenantId: true, status: true, currentReleaseId: true, currentRelease: { select: { version: true } } },
  });
  if (!box) throw new AppError('not_found', `No box ${input.boxId}.`);
  if (!SERVING.includes(box.status as (typeof SERVING)[number]) || !box.currentRelease) {
    throw new AppError('conflict', `Box ${input.boxId} is ${box.status} and cannot be rolled back now.`);
  }
  const last = await deps.prisma.deploy.findFirst({
    where: {
      boxId: input.boxId,
      status: 'succeeded',
      releaseId: box.currentReleaseId ?? '',
      previousReleaseId: { not: null },
    },
    orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }],
    select: { previousRelease: { select: { id: true, version: true, withdrawnAt: true } } },
  });
  const target = last?.previousRelease;
  if (!target) {
    throw new AppError('conflict', `Box ${input.boxId} has no earlier release to roll back to.`);
  }
  const deploy = await deps.prisma.$transaction(async (tx) => {
    const row = await tx.deploy.create({
      data: {
        boxId: input.boxId,
        tenantId: box.tenantId,
        releaseId: target.id,
        previousReleaseId: box.currentReleaseId,
        kind: 'rollback',
        requestedByUserId: operator.userId,
      },
    });
    await writeAudit(
      { prisma: tx },
      {
        actor: operatorActor(operator),
        action: 'box.rollback',
        tenantId: box.tenantId,
        target: { type: 'box', id: input.boxId },
        before: { release: box.currentRelease?.version },
        after: { release: target.version },
        details: { deployId: row.id, reason: input.reason },
        request,
      },
    );
    return row;
  });
  const job = await enqueueJob(
    { queues: deps.queues, records: createPrismaJobRecords(deps.prisma) },
    'box.rollback',
    { boxId: input.boxId, deployId: deploy.id, toVersion: target.version },
    { boxId: input.boxId, ...(box.tenantId ? { tenantId: box.tenantId } : {}) },
  );
  return {
    deployId: deploy.id,
    jobRecordId: job.recordId,
    release: target.version,
    previousRelease: box.currentRelease.version,
  };
}
