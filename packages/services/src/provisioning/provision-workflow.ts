import { defineWorkflow, type WorkflowDefinition, type WorkflowStepContext } from '../workflows/define-workflow';
import type { ProvisioningDeps } from './provisioning-deps';
import { raiseAlert, resolveAlerts } from '../alerts/raise-alert';
import { bootstrapStep } from './steps/bootstrap-box-step';
import { checkHealthStep } from './steps/check-health-step';
import { createBoxStep } from './steps/create-box';
import { deployReleaseStep } from './steps/deploy-release-step';
import { pinHostKeyStep } from './steps/pin-host-key';
import { pushSecretsStep } from './steps/push-secrets-step';
import { replaceHostKeyStep } from './steps/replace-host-key-step';
import { syncWorkspaceStep } from './steps/sync-workspace-step';
import { waitReachableStep } from './steps/wait-reachable';
import { writeAudit } from '../audit/audit-entry';

export const PROVISION_STEPS = [
  'create_box',
  'wait_reachable',
  'pin_host_key',
  'replace_host_key',
  'bootstrap',
  'deploy',
  'push_secrets',
  'health_check',
  'sync_workspace',
] as const;

export function provisioningAlertKey(tenantId: string): string {
  return `provisioning_failed:${tenantId}`;
}

/**
 * A new tenant's box, from nothing to a healthy runtime: each step its own job with its own retries, each idempotent.
 * Success makes the tenant `active`; a step out of attempts parks the tenant in `provisioning_failed` with the
 * reason and opens an alert, and an operator's retry resumes from that step.
 */
export function provisionWorkflow(deps: ProvisioningDeps): WorkflowDefinition {
  const run = (fn: (d: ProvisioningDeps, ctx: WorkflowStepContext) => Promise<unknown>) => (ctx: WorkflowStepContext) =>
    fn(deps, ctx);
  return defineWorkflow({
    kind: 'provision',
    steps: [
      { name: 'create_box', run: run(createBoxStep) },
      { name: 'wait_reachable', run: run(waitReachableStep) },
      { name: 'pin_host_key', run: run(pinHostKeyStep) },
      { name: 'replace_host_key', run: run(replaceHostKeyStep) },
      { name: 'bootstrap', run: run(bootstrapStep) },
      { name: 'deploy', run: run(deployReleaseStep) },
      { name: 'push_secrets', run: run(pushSecretsStep) },
      { name: 'health_check', run: run(checkHealthStep) },
      { name: 'sync_workspace', run: run(syncWorkspaceStep) },
    ],
    async onSucceeded(tx, workflow) {
      await tx.tenant.updateMany({
        where: { id: workflow.tenantId, status: { in: ['provisioning', 'provisioning_failed'] } },
        data: { status: 'active', statusReason: null, activatedAt: new Date() },
      });
      await resolveAlerts({ prisma: tx }, provisioningAlertKey(workflow.tenantId));
      await writeAudit(
        { prisma: tx },
        {
          actor: { type: 'system', label: 'provisioning' },
          action: 'tenant.activated',
          tenantId: workflow.tenantId,
          target: { type: 'tenant', id: workflow.tenantId },
          details: { workflowId: workflow.id },
        },
      );
    },
    async onFailed(tx, workflow, reason) {
      await tx.tenant.updateMany({
        where: { id: workflow.tenantId, status: { in: ['provisioning', 'provisioning_failed'] } },
        data: { status: 'provisioning_failed', statusReason: reason.slice(0, 4_000) },
      });
      const wf = await tx.workflow.findUnique({
        where: { id: workflow.id },
        select: { boxId: true, currentStep: true },
      });
      if (wf?.boxId) {
        await tx.box.updateMany({ where: { id: wf.boxId }, data: { statusReason: reason.slice(0, 1_000) } });
      }
      await raiseAlert(
        { prisma: tx },
        {
          tenantId: workflow.tenantId,
          boxId: wf?.boxId ?? null,
          severity: 'critical',
          code: 'provisioning_failed',
          message:
            `Provisioning of tenant ${workflow.tenantId} failed at ${wf?.currentStep ?? 'an unknown step'}: ${reason}`.slice(
              0,
              4_000,
            ),
          details: { workflowId: workflow.id, step: wf?.currentStep ?? null, reason: reason.slice(0, 4_000) },
          dedupeKey: provisioningAlertKey(workflow.tenantId),
        },
      );
    },
  });
}
