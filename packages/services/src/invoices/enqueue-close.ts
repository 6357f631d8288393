import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@paddock/db';
import { enqueueJob, type Queues, createPrismaJobRecords } from '@paddock/jobs';
import { operatorActor, type RequestFacts, writeAudit } from '../audit/audit-entry';

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
  await writeAudit(
    { prisma: deps.prisma },
    {
      actor: operatorActor(operator),
      action: 'invoices.close_month',
      target: { type: 'job_record', id: enqueued.recordId },
      details: { period },
      request,
    },
  );
  return { ...enqueued, period };
}
