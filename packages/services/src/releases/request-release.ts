import type { PrismaClient } from '@paddock/db';
import { enqueueJob, type Queues, createPrismaJobRecords } from '@paddock/jobs';
import { writeAudit } from '../audit/audit-entry';

/**
 * An operator asks for a release built from the runtime's source: a `release.publish` job (a worker builds it,
 * minutes at most), audited. The release is not promoted: rolling it out is the next step.
 */
export async function requestReleasePublish(
  deps: { prisma: PrismaClient; queues: Queues },
  input: { notes?: string; node?: 'system' | 'bundled' },
  actor: { userId: string; email: string; ip?: string; userAgent?: string; requestId?: string },
): Promise<{ jobRecordId: string; jobId: string }> {
  const enqueued = await enqueueJob(
    { queues: deps.queues, records: createPrismaJobRecords(deps.prisma) },
    'release.publish',
    { ...input, promote: false },
  );
  await writeAudit(
    { prisma: deps.prisma },
    {
      actor: { type: 'user', id: actor.userId, label: actor.email },
      action: 'release.publish',
      target: { type: 'job_record', id: enqueued.recordId },
      details: { node: input.node ?? 'default', notes: input.notes ?? null },
      request: { ipAddress: actor.ip, userAgent: actor.userAgent, requestId: actor.requestId },
    },
  );
  return { jobRecordId: enqueued.recordId, jobId: enqueued.jobId };
}
