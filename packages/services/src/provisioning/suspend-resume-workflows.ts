import { TRIAL_SUSPEND_KEY_PREFIX } from '../subscriptions/end-trials';
import { defineWorkflow, type WorkflowDefinition } from '../workflows/define-workflow';
import type { ProvisioningDeps } from './provisioning-deps';
import { raiseAlert } from '../alerts/raise-alert';
import { checkHealthStep } from './steps/check-health-step';
import { liveBoxOf, runtimeService } from './steps/runtime-service';
import type { ServiceClients } from '../clients';

/** Suspend: the runtime on the box stops (its data stays), the tenant becomes `suspended`. */
export function suspendWorkflow(deps: ProvisioningDeps): WorkflowDefinition {
  return defineWorkflow({
    kind: 'suspend',
    steps: [
      {
        name: 'stop_runtime',
        run: async (ctx) => {
          const box = await liveBoxOf(deps, ctx.tenantId);
          if (!box?.bootstrappedAt) return { boxId: box?.id ?? null, stopped: false };
          await runtimeService(deps, box.id, 'stop');
          await deps.prisma.box.update({
            where: { id: box.id },
            data: { statusReason: 'runtime stopped: tenant suspended' },
          });
          return { boxId: box.id, stopped: true };
        },
      },
    ],
    async onSucceeded(tx, workflow) {
      // A trial that ended without a plan to continue on suspends its tenant through this same workflow.
      const row = await tx.workflow.findUnique({ where: { id: workflow.id }, select: { key: true } });
      const byTrial = row?.key.startsWith(TRIAL_SUSPEND_KEY_PREFIX) ?? false;
      await tx.tenant.update({
        where: { id: workflow.tenantId },
        data: {
          status: 'suspended',
          suspendedAt: new Date(),
          statusReason: byTrial ? 'trial ended without a plan to continue on' : 'suspended by an operator',
        },
      });
    },
    onFailed: (tx, workflow, reason) => workflowFailedAlert({ prisma: tx }, workflow, 'suspend', reason),
  });
}

/** Resume: the runtime starts again and answers its health check, the tenant is `active` again. */
export function resumeWorkflow(deps: ProvisioningDeps): WorkflowDefinition {
  return defineWorkflow({
    kind: 'resume',
    steps: [
      {
        name: 'start_runtime',
        run: async (ctx) => {
          const box = await liveBoxOf(deps, ctx.tenantId);
          if (!box) throw new Error('the tenant has no box to resume');
          await deps.prisma.workflow.update({ where: { id: ctx.workflowId }, data: { boxId: box.id } });
          return runtimeService(deps, box.id, 'start');
        },
      },
      {
        name: 'health_check',
        run: async (ctx) => {
          const boxId = (ctx.outputs.start_runtime as { boxId: string }).boxId;
          return checkHealthStep(deps, { ...ctx, boxId });
        },
      },
    ],
    async onSucceeded(tx, workflow) {
      await tx.tenant.update({
        where: { id: workflow.tenantId },
        data: { status: 'active', suspendedAt: null, statusReason: null },
      });
    },
    onFailed: (tx, workflow, reason) => workflowFailedAlert({ prisma: tx }, workflow, 'resume', reason),
  });
}

export async function workflowFailedAlert(
  { prisma: tx }: Pick<ServiceClients, 'prisma'>,
  workflow: { id: string; tenantId: string },
  kind: string,
  reason: string,
): Promise<void> {
  await raiseAlert(
    { prisma: tx },
    {
      tenantId: workflow.tenantId,
      severity: 'warning',
      code: `${kind}_failed`,
      message: `The ${kind} workflow of tenant ${workflow.tenantId} failed: ${reason}`.slice(0, 4_000),
      details: { workflowId: workflow.id, reason: reason.slice(0, 4_000) },
      dedupeKey: `${kind}_failed:${workflow.tenantId}`,
    },
  );
}
