import { FleetError } from '@paddock/fleet';
import { loadBoxTarget } from '../../boxes/box-target';
import type { WorkflowStepContext } from '../../workflows/define-workflow';
import { boxIdOf } from '../box-name';
import type { ProvisioningDeps } from '../provisioning-deps';
import { writeAudit } from '../../audit/audit-entry';

/**
 * Step 3: the first SSH contact, refused unless the box presents the host key the control plane made for it (or,
 * for a bring-your-own host an operator allowed it for, the first key seen, which is then pinned and audited).
 */
export async function pinHostKeyStep(
  deps: ProvisioningDeps,
  ctx: WorkflowStepContext,
): Promise<{ fingerprint: string; learned: boolean }> {
  const boxId = boxIdOf(ctx);
  const target = await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, boxId);
  let fingerprint: string;
  try {
    fingerprint = (await deps.ssh.connect(target)).fingerprint;
  } catch (error) {
    if (error instanceof FleetError && error.failure === 'host_key_mismatch') {
      await deps.prisma.box.update({
        where: { id: boxId },
        data: { status: 'unreachable', statusReason: error.message.slice(0, 1_000) },
      });
    }
    throw error;
  }
  const learned = target.hostKey.kind === 'trust-on-first-use';
  // A learned key was pinned and audited by the fleet recorder before the connection went on (`box.host_key.trust`).
  const box = await deps.prisma.box.findUniqueOrThrow({ where: { id: boxId } });
  if (!box.hostKeyPinnedAt || (learned && box.hostKeyFingerprint !== fingerprint)) {
    await deps.prisma.$transaction([
      deps.prisma.box.update({
        where: { id: boxId },
        data: { hostKeyFingerprint: fingerprint, hostKeyPinnedAt: box.hostKeyPinnedAt ?? new Date() },
      }),
      writeAudit(
        { prisma: deps.prisma },
        {
          actor: { type: 'system', label: 'provisioning' },
          action: learned ? 'box.host_key.trusted_on_first_use' : 'box.host_key.pinned',
          tenantId: ctx.tenantId,
          target: { type: 'box', id: boxId },
          details: { fingerprint, address: `${target.host}:${target.port}`, workflowId: ctx.workflowId },
        },
      ),
    ]);
  }
  return { fingerprint, learned };
}
