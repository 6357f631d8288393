import type { Prisma, PrismaClient } from '@paddock/db';
import { addJobToQueue, enqueueJob, jobCatalog, type Queues, createPrismaJobRecords } from '@paddock/jobs';
import { currentRequestId } from '@paddock/platform';
import type { ServiceClients } from '../clients';

type Tx = Prisma.TransactionClient;

export interface QueuedJob {
  name: 'chain.sync';
  jobId: string;
  payload: { tenantId: string; chainVersionId: string };
}

const SYNC = jobCatalog['chain.sync'];
const ACTIVE_STATUSES = ['queued', 'running', 'retrying'] as const;

/**
 * Writes the job record of a version's sync inside the caller's transaction (the outbox row), so a stored version
 * always has a sync to report into. A sync already queued or running is reused; after a finished one (a failed sync,
 * a box replaced) a new job id is taken, since BullMQ ignores a job id it still remembers.
 */
export async function recordChainSync(
  { prisma: tx }: { prisma: Tx },
  tenantId: string,
  chainVersionId: string,
): Promise<QueuedJob> {
  const prefix = `chain-sync-${chainVersionId}-`;
  const earlier = await tx.jobRecord.findMany({
    where: { queue: SYNC.queue, jobId: { startsWith: prefix } },
    select: { jobId: true, status: true },
  });
  const open = earlier.find((job) => (ACTIVE_STATUSES as readonly string[]).includes(job.status));
  const payload = { tenantId, chainVersionId };
  if (open) return { name: 'chain.sync', jobId: open.jobId, payload };
  const jobId = `${prefix}${earlier.length + 1}`;
  await tx.jobRecord.create({
    data: {
      queue: SYNC.queue,
      jobId,
      name: SYNC.name,
      payload,
      maxAttempts: SYNC.attempts,
      tenantId,
      requestId: currentRequestId() ?? null,
    },
  });
  return { name: 'chain.sync', jobId, payload };
}

/** The Redis half of a recorded sync: idempotent (a job id BullMQ knows is ignored). */
export async function queueChainSync({ queues }: Pick<ServiceClients, 'queues'>, job: QueuedJob): Promise<void> {
  await addJobToQueue(queues, job.name, job.payload, job.jobId);
}

/** The staging of a synced version: one per sync job, so a re-synced version is staged again. */
export async function queueChainStage(
  deps: { prisma: PrismaClient; queues: Queues },
  payload: { tenantId: string; chainVersionId: string },
  syncJobId: string,
): Promise<string> {
  const jobId = syncJobId.replace(/^chain-sync-/, 'chain-stage-');
  await enqueueJob({ queues: deps.queues, records: createPrismaJobRecords(deps.prisma) }, 'chain.stage', payload, {
    jobId,
    tenantId: payload.tenantId,
  });
  return jobId;
}
