import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@paddock/db';
import { enqueueJob, type Queues } from '@paddock/jobs';
import { createPrismaJobRecords } from '@paddock/jobs/prisma-job-records';
import type { RequestFacts } from '../tenants/tenant-identity';

/** An operator asks for a month's close now (e.g. after fixing a price, or for a month the schedule missed). */
export async function enqueueMonthClose(
  deps: { prisma: PrismaClient; queues: Queues },
  operator: { userId: string; email: string },
  period: string,
  request: RequestFacts = {},
): Promise<{ jobId: string; recordId: string; period: string }> {
  const enqueued = await enqueueJob(
    { queues: deps.queues, records: createPrismaJobRecords(deps.prisma) },
    'invoices.close-month',
    { period },
    { jobId: `invoices-close-${period}-${randomUUID()}` },
  );
  await deps.prisma.auditLog.create({
    data: {
      actorType: 'user',
      actorId: operator.userId,
      actorLabel: operator.email,
      action: 'invoices.close_month',
      targetType: 'job_record',
      targetId: enqueued.recordId,
      details: { period },
      ipAddress: request.ipAddress ?? null,
      requestId: request.requestId ?? null,
    },
  });
  return { ...enqueued, period };
}
