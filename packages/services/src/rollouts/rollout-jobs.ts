import type { PrismaClient } from '@paddock/db';
import { enqueueJob, type Queues, createPrismaJobRecords } from '@paddock/jobs';

/**
 * Enqueues the rollout's next `rollout.advance` job. Its id names the rollout and the turn (a batch number, or a
 * resume's moment): BullMQ ignores a second add of the same id, and two jobs of one rollout never deploy at once
 * anyway (the job holds the rollout's advisory lock while it works).
 */
export async function enqueueRolloutAdvance(
  deps: { prisma: PrismaClient; queues: Queues },
  rolloutId: string,
  turn: string,
): Promise<void> {
  await enqueueJob(
    { queues: deps.queues, records: createPrismaJobRecords(deps.prisma) },
    'rollout.advance',
    { rolloutId },
    { jobId: `rollout-${rolloutId}-${turn}` },
  );
}
