import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import { enqueueJob, type Queues } from '@paddock/jobs';
import { createPrismaJobRecords } from '@paddock/jobs';
import { operatorActor, type RequestFacts, writeAudit } from '../audit/audit-entry';

const GONE = ['destroying', 'destroyed'];

/**
 * An operator runs a box's bootstrap again (runtime user, directories, service, sshd hardening; idempotent, it
 * repairs what drifted and reports what it changed): audited, then the `box.rebootstrap` job does it.
 */
export async function requestBoxRebootstrap(
  deps: { prisma: PrismaClient; queues: Queues },
  input: { boxId: string; reason: string },
  operator: { userId: string; email: string },
  request: RequestFacts = {},
): Promise<{ jobRecordId: string }> {
  const box = await deps.prisma.box.findUnique({
    where: { id: input.boxId },
    select: { tenantId: true, status: true, address: true },
  });
  if (!box) throw new AppError('not_found', `No box ${input.boxId}.`);
  if (GONE.includes(box.status) || !box.address) {
    throw new AppError('conflict', `Box ${input.boxId} is ${box.status} and cannot be bootstrapped.`);
  }
  const job = await enqueueJob(
    { queues: deps.queues, records: createPrismaJobRecords(deps.prisma) },
    'box.rebootstrap',
    { boxId: input.boxId },
    { boxId: input.boxId, ...(box.tenantId ? { tenantId: box.tenantId } : {}) },
  );
  await writeAudit(
    { prisma: deps.prisma },
    {
      actor: operatorActor(operator),
      action: 'box.rebootstrap',
      tenantId: box.tenantId,
      target: { type: 'box', id: input.boxId },
      details: { jobRecordId: job.recordId, reason: input.reason },
      request,
    },
  );
  return { jobRecordId: job.recordId };
}
