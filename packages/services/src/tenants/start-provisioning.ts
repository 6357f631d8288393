import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';

export const QUEUED_FOR_PROVISIONING = 'queued_for_provisioning';

export interface StartProvisioningResult {
  workflowId: string;
  tenantId: string;
  step: string;
  /** Always false for now: nothing has been provisioned, and the tenant stays `provisioning`. */
  provisioned: boolean;
  skipped?: 'workflow_not_running';
}

/**
 * Entry point of the `tenant.provision` job: the fleet integration fills in the workflow's steps here (create box
 * with the plan's provider, wait until reachable, pin host key, bootstrap, deploy, push secrets, health check, then
 * tenant `active`; failures park the tenant in `provisioning_failed`).
 *
 * Until then it only records that the job reached a worker (step `queued_for_provisioning`, with the attempt) and
 * leaves the workflow `running` and the tenant `provisioning`: no step is reported done that was not done.
 */
export async function startProvisioning(
  prisma: PrismaClient,
  payload: { tenantId: string; workflowId: string },
  context: { jobId: string; attempt: number },
): Promise<StartProvisioningResult> {
  const workflow = await prisma.workflow.findFirst({
    where: { id: payload.workflowId, tenantId: payload.tenantId, kind: 'provision' },
    select: { id: true, status: true },
  });
  if (!workflow) {
    throw new AppError('not_found', `No provisioning workflow ${payload.workflowId} for tenant ${payload.tenantId}.`);
  }
  const result = { workflowId: workflow.id, tenantId: payload.tenantId, provisioned: false };
  if (workflow.status !== 'running') return { ...result, step: workflow.status, skipped: 'workflow_not_running' };
  const entry = JSON.stringify({ at: new Date().toISOString(), jobId: context.jobId, attempt: context.attempt });
  // Merged in SQL so concurrent writers of other steps' state never overwrite each other.
  await prisma.$executeRaw`
    UPDATE workflows
       SET current_step = ${QUEUED_FOR_PROVISIONING},
           attempts = attempts + 1,
           state = state || jsonb_build_object(${QUEUED_FOR_PROVISIONING}::text, ${entry}::jsonb),
           updated_at = now()
     WHERE id = ${workflow.id}::uuid AND tenant_id = ${payload.tenantId}::uuid AND status = 'running'`;
  return { ...result, step: QUEUED_FOR_PROVISIONING };
}
