import type { PrismaClient, WorkflowKind } from '@paddock/db';
import { enqueueJob, type Queues, createPrismaJobRecords } from '@paddock/jobs';
import { readWorkflowState, workflowJobId } from './workflow-state';

/**
 * Starts a workflow once per `key` (e.g. `provision:<tenantId>`): a second call finds the same row and re-adds the
 * same first job, which BullMQ ignores, so callers may retry freely.
 */
export async function startWorkflow(
  deps: { prisma: PrismaClient; queues: Queues },
  input: { kind: WorkflowKind; key: string; tenantId: string; boxId?: string },
): Promise<{ workflowId: string }> {
  const workflow = await deps.prisma.workflow.upsert({
    where: { key: input.key },
    update: {},
    create: {
      kind: input.kind,
      key: input.key,
      tenantId: input.tenantId,
      boxId: input.boxId ?? null,
      state: { round: 0, steps: {} },
    },
  });
  await enqueueFirstStep(deps, workflow);
  return { workflowId: workflow.id };
}

export async function enqueueFirstStep(
  deps: { prisma: PrismaClient; queues: Queues },
  workflow: { id: string; tenantId: string; boxId: string | null; state: unknown },
): Promise<void> {
  const round = readWorkflowState(workflow.state).round;
  await enqueueJob(
    { queues: deps.queues, records: createPrismaJobRecords(deps.prisma) },
    'workflow.advance',
    { workflowId: workflow.id, round },
    { jobId: workflowJobId(workflow.id, round, 0), tenantId: workflow.tenantId, boxId: workflow.boxId ?? undefined },
  );
}
