import { AppError } from '@paddock/contracts';
import { Prisma, type PrismaClient, type RolloutStatus } from '@paddock/db';
import type { Queues } from '@paddock/jobs';
import { writeAudit } from '../audit/audit-entry';
import { OFFLINE_BATCH, planBatches } from './plan-batches';
import type { RolloutActor } from './rollout-deps';
import { enqueueRolloutAdvance } from './rollout-jobs';

export interface StartRolloutInput {
  /** The release's version. */
  release: string;
  /** Boxes deployed first, on their own; any failure among them stops and rolls back. */
  canarySize: number;
  /** Boxes per batch after the canary. */
  batchSize: number;
  /** Boxes deployed at once inside a batch. */
  concurrency: number;
  /** Failed boxes after the canary that stop the rollout and roll it back. */
  maxFailures: number;
  /** Only these boxes (default: every ready box of a tenant that does not run the release yet). */
  boxIds?: string[];
}

/**
 * Starts a rollout: the boxes it will move, in batches, are fixed now (one row each), the rollout is recorded and
 * audited, and its first `rollout.advance` job is enqueued. Only one rollout is active at a time (a unique index
 * says so; a second start is a 409). A rollout with no box to move succeeds at once and promotes its release, so
 * new boxes get it.
 */
export async function startRollout(
  deps: { prisma: PrismaClient; queues: Queues },
  input: StartRolloutInput,
  actor: RolloutActor,
): Promise<{ id: string; status: RolloutStatus; totalBoxes: number }> {
  const release = await deps.prisma.release.findUnique({ where: { version: input.release } });
  if (!release) throw new AppError('not_found', `No release ${input.release}.`);
  if (release.withdrawnAt) throw new AppError('conflict', `Release ${input.release} was withdrawn.`);
  const candidates = await deps.prisma.box.findMany({
    where: {
      tenantId: { not: null },
      status: { in: ['ready', 'unhealthy', 'unreachable'] },
      OR: [{ currentReleaseId: null }, { currentReleaseId: { not: release.id } }],
      ...(input.boxIds ? { id: { in: input.boxIds } } : {}),
    },
    select: { id: true, status: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  // Unreachable boxes are not deployed: they are `offline` in the rollout (neither succeeded nor failed) and catch
  // up with the promoted release when they return (catch-up-offline-boxes.ts).
  const boxes = candidates.filter((b) => b.status !== 'unreachable');
  const offline = candidates.filter((b) => b.status === 'unreachable');
  if (input.boxIds) {
    const found = new Set(candidates.map((b) => b.id));
    const missing = input.boxIds.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new AppError('unprocessable', 'Some boxes cannot take part: unknown, not ready, or already on it.', {
        details: missing.map((id) => ({
          path: 'boxIds',
          message: `box ${id} is unknown, not ready or on ${release.version}`,
        })),
      });
    }
  }
  const plan = planBatches(
    boxes.map((b) => b.id),
    input.canarySize,
    input.batchSize,
  );
  const now = new Date();
  const empty = plan.length === 0;
  const rollout = await deps.prisma
    .$transaction(async (tx) => {
      const created = await tx.rollout.create({
        data: {
          releaseId: release.id,
          status: empty ? 'succeeded' : 'pending',
          concurrency: input.concurrency,
          canarySize: Math.min(input.canarySize, plan.length),
          batchSize: input.batchSize,
          maxFailures: input.maxFailures,
          maxFailureBps: 0,
          totalBoxes: plan.length + offline.length,
          offlineBoxes: offline.length,
          currentBatch: plan[0]?.batch ?? 0,
          requestedByUserId: actor.userId,
          ...(empty ? { startedAt: now, finishedAt: now, reason: 'no box needed the release' } : {}),
        },
      });
      if (offline.length > 0) {
        await tx.rolloutBox.createMany({
          data: offline.map((b, i) => ({
            rolloutId: created.id,
            boxId: b.id,
            position: plan.length + i,
            batch: OFFLINE_BATCH,
            status: 'offline',
            error: 'unreachable when the rollout started: gets the release when it returns',
          })),
        });
      }
      if (!empty) {
        await tx.rolloutBox.createMany({
          data: plan.map((p) => ({ rolloutId: created.id, boxId: p.boxId, position: p.position, batch: p.batch })),
        });
      } else {
        await tx.release.update({ where: { id: release.id }, data: { promotedAt: now } });
      }
      await writeAudit(
        { prisma: tx },
        {
          actor: { type: 'user', id: actor.userId, label: actor.email },
          action: 'rollout.start',
          target: { type: 'rollout', id: created.id },
          details: {
            release: release.version,
            boxes: plan.length,
            offline: offline.length,
            // A rollout of named boxes (the console's deploy of one box) says which in the audit log.
            ...(input.boxIds ? { boxIds: input.boxIds } : {}),
          },
          after: {
            status: created.status,
            release: release.version,
            canarySize: input.canarySize,
            batchSize: input.batchSize,
            concurrency: input.concurrency,
            maxFailures: input.maxFailures,
          },
          request: { ipAddress: actor.ip, userAgent: actor.userAgent, requestId: actor.requestId },
        },
      );
      return created;
    })
    .catch((error: unknown) => {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new AppError('conflict', 'Another rollout is in progress: pause, finish or abort it first.');
      }
      throw error;
    });
  if (!empty) await enqueueRolloutAdvance(deps, rollout.id, `b${rollout.currentBatch}`);
  return { id: rollout.id, status: rollout.status, totalBoxes: plan.length + offline.length };
}
