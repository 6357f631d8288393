import { defineWorkflow, type WorkflowDefinition } from '../workflows/define-workflow';
import type { ProvisioningDeps } from './provisioning-deps';
import { liveBoxOf, runtimeService } from './steps/runtime-service';
import { returnByoHost } from './steps/return-byo-host';
import { workflowFailedAlert } from './suspend-resume-workflows';

/**
 * Delete: the box is destroyed at its provider and its keys revoked, access ends (API keys, sessions, the
 * subscription is canceled), and the tenant becomes `deleted`. Billing records (usage events, cost entries,
 * invoices) are kept: they are what the last invoice is built from.
 */
export function deleteWorkflow(deps: ProvisioningDeps): WorkflowDefinition {
  return defineWorkflow({
    kind: 'delete',
    steps: [
      {
        name: 'destroy_box',
        run: async (ctx) => {
          const box = await liveBoxOf(deps, ctx.tenantId);
          if (!box) return { boxId: null, destroyed: false };
          await deps.prisma.workflow.update({ where: { id: ctx.workflowId }, data: { boxId: box.id } });
          // A graceful stop first so the runtime drains; a box that does not answer is destroyed all the same.
          const stopped = await runtimeService(deps, box.id, 'stop').then(
            () => true,
            () => false,
          );
          await deps.prisma.box.update({ where: { id: box.id }, data: { status: 'destroying' } });
          if (box.provider === 'byo') {
            // The operator's machine is not destroyed: wiped, it goes back to its pool (or is held back, with why).
            const host = await returnByoHost(deps, box, ctx.tenantId);
            evictBox(deps, box);
            await deps.prisma.sshKey.updateMany({
              where: { tenantId: ctx.tenantId, revokedAt: null },
              data: { revokedAt: new Date() },
            });
            return { boxId: box.id, destroyed: false, stoppedFirst: stopped, host };
          }
          const provider = deps.providers[box.provider];
          if (!provider) {
            throw new Error(`the ${box.provider} provider is not configured: box ${box.id} cannot be destroyed`);
          }
          if (provider && box.providerId) {
            const machine = await provider.status(box.providerId);
            if (machine.status !== 'gone') await provider.destroy(box.providerId);
          }
          evictBox(deps, box);
          const now = new Date();
          await deps.prisma.$transaction([
            deps.prisma.box.update({
              where: { id: box.id },
              data: { status: 'destroyed', destroyedAt: now, statusReason: 'tenant deleted' },
            }),
            deps.prisma.sshKey.updateMany({
              where: { tenantId: ctx.tenantId, revokedAt: null },
              data: { revokedAt: now },
            }),
          ]);
          return { boxId: box.id, destroyed: true, stoppedFirst: stopped };
        },
      },
      {
        name: 'close_account',
        run: async (ctx) => {
          const now = new Date();
          const [keys, sessions, subscriptions] = await deps.prisma.$transaction([
            deps.prisma.apiKey.updateMany({
              where: { tenantId: ctx.tenantId, revokedAt: null },
              data: { revokedAt: now },
            }),
            deps.prisma.session.updateMany({
              where: { tenantId: ctx.tenantId, revokedAt: null },
              data: { revokedAt: now },
            }),
            deps.prisma.subscription.updateMany({
              where: { tenantId: ctx.tenantId, status: { not: 'canceled' } },
              data: { status: 'canceled', canceledAt: now },
            }),
          ]);
          return {
            apiKeysRevoked: keys.count,
            sessionsRevoked: sessions.count,
            subscriptionsCanceled: subscriptions.count,
          };
        },
      },
    ],
    async onSucceeded(tx, workflow) {
      await tx.tenant.update({
        where: { id: workflow.tenantId },
        data: { status: 'deleted', deletedAt: new Date(), statusReason: 'deleted by an operator' },
      });
    },
    onFailed: (tx, workflow, reason) => workflowFailedAlert({ prisma: tx }, workflow, 'delete', reason),
  });
}

/** The pool's connection to a box that is gone (or no longer this tenant's) is closed. */
function evictBox(deps: ProvisioningDeps, box: { id: string; address: string | null; port: number; sshUser: string }) {
  if (!box.address) return;
  deps.ssh.evict({
    id: box.id,
    host: box.address,
    port: box.port,
    username: box.sshUser,
    privateKey: '',
    hostKey: { kind: 'trust-on-first-use' },
  });
}
