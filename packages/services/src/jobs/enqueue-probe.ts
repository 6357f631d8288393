import { enqueueJob, type Queues, createPrismaJobRecords } from '@paddock/jobs';
import type { PrismaClient } from '@paddock/db';
import { operatorActor, type RequestFacts, writeAudit } from '../audit/audit-entry';

/** An operator's probe of the worker fleet: one job that goes API → Redis → some worker → job record. */
export async function enqueueProbe(
  deps: { prisma: PrismaClient; queues: Queues },
  input: { label: string; durationMs: number },
  operator: { userId: string; email: string },
  request: RequestFacts = {},
) {
  const enqueued = await enqueueJob(
    { queues: deps.queues, records: createPrismaJobRecords(deps.prisma) },
    'diagnostics.probe',
    input,
  );
  await writeAudit(
    { prisma: deps.prisma },
    {
      actor: operatorActor(operator),
      action: 'job.enqueue',
      target: { type: 'job_record', id: enqueued.recordId },
      details: { name: 'diagnostics.probe', label: input.label },
      request,
    },
  );
  return { id: enqueued.recordId, jobId: enqueued.jobId };
}
