import { AppError } from '@paddock/contracts';
import type { Prisma, PrismaClient } from '@paddock/db';
import type { Queues } from '@paddock/jobs';
import { operatorActor, type RequestFacts, writeAudit } from '../audit/audit-entry';
import { enqueueFirstStep } from './start-workflow';
import { readWorkflowState } from './workflow-state';

/**
 * An operator's retry of a failed workflow: back to `running` in a new round (new job ids, so BullMQ does not
 * ignore them as duplicates of the failed ones); steps that already succeeded are skipped.
 */
export async function retryWorkflow(
  deps: { prisma: PrismaClient; queues: Queues },
  workflowId: string,
  actor: { userId: string; email: string },
  request: RequestFacts = {},
): Promise<{ workflowId: string; round: number }> {
  const workflow = await deps.prisma.workflow.findUnique({ where: { id: workflowId } });
  if (!workflow) throw new AppError('not_found', `No workflow ${workflowId}.`);
  if (workflow.status !== 'failed') {
    throw new AppError(
      'conflict',
      `Workflow ${workflowId} is ${workflow.status}; only a failed workflow can be retried.`,
    );
  }
  const state = readWorkflowState(workflow.state);
  const next = { ...state, round: state.round + 1 };
  const updated = await deps.prisma.$transaction(async (tx) => {
    const changed = await tx.workflow.updateMany({
      where: { id: workflowId, status: 'failed' },
      data: { status: 'running', error: null, finishedAt: null, state: next as Prisma.InputJsonObject },
    });
    if (changed.count !== 1)
      throw new AppError('conflict', `Workflow ${workflowId} changed while retrying; try again.`);
    await writeAudit(
      { prisma: tx },
      {
        actor: operatorActor(actor),
        action: 'workflow.retry',
        tenantId: workflow.tenantId,
        target: { type: 'workflow', id: workflowId },
        details: { kind: workflow.kind, round: next.round, failedStep: workflow.currentStep, error: workflow.error },
        before: { status: 'failed', round: state.round },
        after: { status: 'running', round: next.round },
        request,
      },
    );
    return tx.workflow.findUniqueOrThrow({ where: { id: workflowId } });
  });
  await enqueueFirstStep(deps, updated);
  return { workflowId, round: next.round };
}
