import { AppError } from '@paddock/contracts';
import type { PrismaClient, RolloutStatus } from '@paddock/db';
import type { Queues } from '@paddock/jobs';
import { writeAudit } from '../audit/audit-entry';
import type { RolloutActor } from './rollout-deps';
import { notifyRolloutChanged } from './rollout-changes';
import { enqueueRolloutAdvance } from './rollout-jobs';

export type RolloutAction = 'pause' | 'resume' | 'abort';

const FROM: Record<RolloutAction, RolloutStatus[]> = {
  pause: ['pending', 'running'],
  resume: ['paused'],
  abort: ['pending', 'running', 'paused'],
};

/**
 * An operator's pause / resume / abort. Pause stops the rollout between boxes (deploys in flight finish); resume
 * enqueues its next turn; abort stops it and rolls back every box it moved. Each is a compare-and-set on the status
 * (a stale click is a 409 naming the current state) and an audit row, in one transaction.
 */
export async function controlRollout(
  deps: { prisma: PrismaClient; queues: Queues },
  rolloutId: string,
  action: RolloutAction,
  actor: RolloutActor,
): Promise<{ id: string; status: RolloutStatus }> {
  const next: RolloutStatus = action === 'pause' ? 'paused' : action === 'resume' ? 'running' : 'rolling_back';
  const changed = await deps.prisma.$transaction(async (tx) => {
    const current = await tx.rollout.findUnique({ where: { id: rolloutId }, select: { status: true } });
    if (!current) throw new AppError('not_found', `No rollout ${rolloutId}.`);
    const moved = await tx.rollout.updateMany({
      where: { id: rolloutId, status: { in: FROM[action] } },
      data: { status: next, ...(action === 'abort' ? { reason: `aborted by ${actor.email}` } : {}) },
    });
    if (moved.count === 0) {
      throw new AppError('conflict', `Cannot ${action} a rollout that is ${current.status}.`, {
        details: [{ path: 'status', message: `the rollout is ${current.status}`, status: current.status }],
      });
    }
    await writeAudit(
      { prisma: tx },
      {
        actor: { type: 'user', id: actor.userId, label: actor.email },
        action: `rollout.${action}`,
        target: { type: 'rollout', id: rolloutId },
        details: { from: current.status, to: next },
        before: { status: current.status },
        after: { status: next },
        request: { ipAddress: actor.ip, userAgent: actor.userAgent, requestId: actor.requestId },
      },
    );
    return true;
  });
  await notifyRolloutChanged({ prisma: deps.prisma }, rolloutId);
  // Resume and abort need a job to act (an abort of a paused rollout has no job running to notice it).
  if (changed && action !== 'pause') await enqueueRolloutAdvance(deps, rolloutId, `${action}-${Date.now()}`);
  return { id: rolloutId, status: next };
}
