import type { PrismaClient } from '@paddock/db';
import type { Queues } from '@paddock/jobs';
import { queueChainSync, recordChainSync } from '../chains/sync-jobs';
import { queueSecretsPush } from '../secrets/queue-secrets-push';

/**
 * Brings a tenant's (new or replaced) box up to date: a sync for every chain version that is active or still
 * staging and has not reached a box, and one secrets push. For provisioning's last step, or an operator repairing a
 * box. Idempotent: a sync already queued is reused.
 */
export async function queueTenantBoxSync(
  deps: { prisma: PrismaClient; queues: Queues },
  tenantId: string,
  options: { resyncAll?: boolean } = {},
): Promise<{ chainSyncs: string[]; secretsPush: string }> {
  const jobs = await deps.prisma.$transaction(async (tx) => {
    const versions = await tx.chainVersion.findMany({
      where: {
        tenantId,
        status: { in: ['active', 'staging'] },
        ...(options.resyncAll ? {} : { syncedAt: null }),
        chain: { archivedAt: null },
      },
      select: { id: true },
      orderBy: { createdAt: 'asc' },
    });
    const recorded = [];
    for (const version of versions) recorded.push(await recordChainSync({ prisma: tx }, tenantId, version.id));
    return recorded;
  });
  for (const job of jobs) await queueChainSync({ queues: deps.queues }, job);
  return { chainSyncs: jobs.map((job) => job.jobId), secretsPush: await queueSecretsPush(deps, tenantId) };
}
