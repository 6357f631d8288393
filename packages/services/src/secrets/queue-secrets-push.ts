import type { PrismaClient } from '@paddock/db';
import { enqueueJob, type Queues, createPrismaJobRecords } from '@paddock/jobs';

/** Changes within one window share one push, which reads the secrets when it starts (after the window). */
export const SECRETS_PUSH_WINDOW_MS = 500;

/**
 * Queues the push of a tenant's secrets to its box. Called after the change committed. Every change made in the
 * same window lands on the same job id, delayed to the window's end: the job reads the secrets only then, so it
 * carries all of them (the latest value wins), and a later change falls into a later window's job.
 */
export async function queueSecretsPush(
  deps: { prisma: PrismaClient; queues: Queues },
  tenantId: string,
  now = Date.now(),
): Promise<string> {
  const window = Math.floor(now / SECRETS_PUSH_WINDOW_MS);
  const jobId = `secrets-push-${tenantId}-${window}`;
  await enqueueJob(
    { queues: deps.queues, records: createPrismaJobRecords(deps.prisma) },
    'secrets.push',
    { tenantId },
    {
      jobId,
      tenantId,
      delayMs: (window + 1) * SECRETS_PUSH_WINDOW_MS - now,
    },
  );
  return jobId;
}
