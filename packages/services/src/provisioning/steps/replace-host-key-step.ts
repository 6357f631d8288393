import { replaceHostKey } from '@paddock/fleet';
import { loadBoxTarget } from '../../boxes/box-target';
import type { WorkflowStepContext } from '../../workflows/define-workflow';
import { boxIdOf } from '../box-name';
import type { ProvisioningDeps } from '../provisioning-deps';
import { writeAudit } from '../../audit/audit-entry';

export type ReplaceHostKeyOutput =
  | { replaced: true; previous: string; fingerprint: string }
  | { replaced: false; fingerprint: string | null; reason: 'bring_your_own' | 'made_on_box' };

/**
 * Step 4, right after the first pinned contact and before anything of the tenant's runs on the box: the host key
 * the control plane made (and sent through the provider's user data, which the metadata service serves to any
 * local user) is replaced by one made on the box, and that one is pinned and audited. Run for every box whose key
 * the control plane made: cloud boxes, and local test boxes so every provisioning test walks this path too.
 * Skipped for bring-your-own hosts (their key never left them) and for a box whose pinned key the control plane
 * never held (already replaced: a second run changes nothing).
 */
export async function replaceHostKeyStep(
  deps: ProvisioningDeps,
  ctx: WorkflowStepContext,
): Promise<ReplaceHostKeyOutput> {
  const boxId = boxIdOf(ctx);
  const box = await deps.prisma.box.findUniqueOrThrow({
    where: { id: boxId },
    select: { provider: true, hostKeyFingerprint: true, hostKeyPendingFingerprint: true },
  });
  if (box.provider === 'byo') return { replaced: false, fingerprint: box.hostKeyFingerprint, reason: 'bring_your_own' };
  const seeded = box.hostKeyFingerprint
    ? await deps.prisma.sshKey.findUnique({ where: { fingerprint: box.hostKeyFingerprint }, select: { id: true } })
    : null;
  if (!seeded && !box.hostKeyPendingFingerprint) {
    return { replaced: false, fingerprint: box.hostKeyFingerprint, reason: 'made_on_box' };
  }
  const target = await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, boxId);
  if (target.hostKey.kind !== 'pinned') throw new Error(`box ${boxId} has no pinned host key`);
  const pending = box.hostKeyPendingFingerprint;
  const result = await replaceHostKey({
    pool: deps.ssh,
    target: { ...target, hostKey: { ...target.hostKey, ...(pending ? { next: pending } : {}) } },
    recordPending: async (fingerprint) => {
      await deps.prisma.box.update({ where: { id: boxId }, data: { hostKeyPendingFingerprint: fingerprint } });
    },
  });
  await deps.prisma.$transaction(async (tx) => {
    // Compare-and-set on the old pin: two attempts racing (a stalled job taken over) pin and audit once.
    const repinned = await tx.box.updateMany({
      where: { id: boxId, hostKeyFingerprint: result.previous },
      data: { hostKeyFingerprint: result.fingerprint, hostKeyPendingFingerprint: null, hostKeyPinnedAt: new Date() },
    });
    if (repinned.count === 0) return;
    // The seeded key's private half stays in the vault for the record, marked as no longer in use.
    await tx.sshKey.updateMany({
      where: { fingerprint: result.previous, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    await writeAudit(
      { prisma: tx },
      {
        actor: { type: 'system', label: 'provisioning' },
        action: 'box.host_key.replaced',
        tenantId: ctx.tenantId,
        target: { type: 'box', id: boxId },
        details: {
          previous: result.previous,
          fingerprint: result.fingerprint,
          address: `${target.host}:${target.port}`,
          workflowId: ctx.workflowId,
          why: 'the previous key travelled through the provider user data',
        },
      },
    );
  });
  return { replaced: true, previous: result.previous, fingerprint: result.fingerprint };
}
