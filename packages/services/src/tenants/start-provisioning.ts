import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import type { Queues } from '@paddock/jobs';
import { enqueueFirstStep } from '../workflows/start-workflow';

/** Recorded in the workflow's state when the signup's `tenant.provision` job reached a worker. */
export const QUEUED_FOR_PROVISIONING = 'queued_for_provisioning';

export interface StartProvisioningResult {
  workflowId: string;
  tenantId: string;
  /** The workflow's status when the job ran; `running` means its first step is queued (or further along). */
  status: string;
  skipped?: 'workflow_not_running';
}

/**
 * Entry point of the `tenant.provision` job (the signup's outbox row): starts the tenant's `provision` workflow,
 * which signup created with the key `provision:<tenantId>`, by queueing its first step. Idempotent: the step's job id
 * is derived from the workflow, so a repeated job adds nothing, and a workflow that already moved on is untouched.
 */
export async function startProvisioning(
  deps: { prisma: PrismaClient; queues: Queues },
  payload: { tenantId: string; workflowId: string },
  context: { jobId: string; attempt: number },
): Promise<StartProvisioningResult> {
  const workflow = await deps.prisma.workflow.findFirst({
    where: { id: payload.workflowId, tenantId: payload.tenantId, kind: 'provision' },
  });
  if (!workflow) {
    throw new AppError('not_found', `No provisioning workflow ${payload.workflowId} for tenant ${payload.tenantId}.`);
  }
  const result = { workflowId: workflow.id, tenantId: payload.tenantId, status: workflow.status };
  if (workflow.status !== 'running') return { ...result, skipped: 'workflow_not_running' };
  const entry = JSON.stringify({ at: new Date().toISOString(), jobId: context.jobId, attempt: context.attempt });
  // Merged in SQL so the workflow engine's concurrent writes to `steps` are never overwritten.
  await deps.prisma.$executeRaw`
    UPDATE workflows
       SET state = state || jsonb_build_object(${QUEUED_FOR_PROVISIONING}::text, ${entry}::jsonb),
           updated_at = now()
     WHERE id = ${workflow.id}::uuid AND tenant_id = ${payload.tenantId}::uuid`;
  await enqueueFirstStep(deps, workflow);
  return result;
}
