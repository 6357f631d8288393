import { enqueueJob, type Queues } from '@paddock/jobs';
import { createPrismaJobRecords } from '@paddock/jobs/prisma-job-records';
import type { PrismaClient } from '@paddock/db';

/** An operator's probe of the worker fleet: one job that goes API → Redis → some worker → job record. */
export async function enqueueProbe(
  deps: { prisma: PrismaClient; queues: Queues },
  input: { label: string; durationMs: number },
  operator: { userId: string; email: string },
) {
  const enqueued = await enqueueJob(
    { queues: deps.queues, records: createPrismaJobRecords(deps.prisma) },
    'diagnostics.probe',
    input,
  );
  await deps.prisma.auditLog.create({
    data: {
      actorType: 'user',
      actorId: operator.userId,
      actorLabel: operator.email,
      action: 'job.enqueue',
      targetType: 'job_record',
      targetId: enqueued.recordId,
      details: { name: 'diagnostics.probe', label: input.label },
    },
  });
  return { id: enqueued.recordId, jobId: enqueued.jobId };
}
