import { queueTenantBoxSync } from '../../box-sync/queue-tenant-box-sync';
import type { WorkflowStepContext } from '../../workflows/define-workflow';
import type { ProvisioningDeps } from '../provisioning-deps';

/**
 * Last step: whatever the workspace changed while its box was being made (chains uploaded, secrets set) is queued
 * for the now ready box. Jobs queued during provisioning retried while the box was on its way and may have given up;
 * these pick up from the rows, so nothing depends on their timing. Idempotent: syncs are content-addressed.
 */
export async function syncWorkspaceStep(
  deps: ProvisioningDeps,
  ctx: WorkflowStepContext,
): Promise<{ chainSyncs: number; secretsPush: string }> {
  const queued = await queueTenantBoxSync({ prisma: deps.prisma, queues: deps.queues }, ctx.tenantId);
  return { chainSyncs: queued.chainSyncs.length, secretsPush: queued.secretsPush };
}
