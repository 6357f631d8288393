import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import { discardEvents, FleetError, SshConnection, type SshPool, sameFingerprint } from '@paddock/fleet';
import type { Vault } from '@paddock/vault';
import { loadBoxTargetWithPrisma } from '../boxes/load-box-target-prisma';
import { resolveAlerts } from '../alerts/raise-alert';
import { writeAudit } from '../audit/audit-entry';
import { hostKeyAlertKey } from './record-host-key-mismatch';

export interface RepinHostKeyInput {
  boxId: string;
  /** The fingerprint the operator checked out of band (the provider's console, the machine itself). */
  fingerprint: string;
  /** Why the key changed, for the audit log (a rebuilt machine, a restored snapshot). */
  reason: string;
}

export interface RepinHostKeyResult {
  boxId: string;
  previous: string | null;
  fingerprint: string;
  status: string;
  resolvedAlerts: number;
}

export interface RepinOperator {
  userId: string;
  email: string;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

/**
 * An operator confirms a box's new host key after checking it. The box is dialled once with the new pin (outside the
 * pool, recording nothing): a box that does not present that key is refused and nothing changes, so a typo cannot pin
 * an impostor. Then, in one transaction: the pin moves, a box the mismatch had marked unreachable is ready again (the
 * collector's next health beat corrects that if it is not), the `host_key_changed` alert is resolved and the change is
 * audited with the operator, the previous and new keys and the reason.
 */
export async function repinBoxHostKey(
  deps: { prisma: PrismaClient; vault: Vault; ssh: SshPool },
  input: RepinHostKeyInput,
  operator: RepinOperator,
): Promise<RepinHostKeyResult> {
  const box = await deps.prisma.box.findUnique({
    where: { id: input.boxId },
    select: { tenantId: true, status: true, statusReason: true, hostKeyFingerprint: true },
  });
  if (!box) throw new AppError('not_found', `No box ${input.boxId}.`);
  if (box.status === 'destroying' || box.status === 'destroyed') {
    throw new AppError('conflict', `Box ${input.boxId} is ${box.status}: there is nothing to re-pin.`);
  }
  const current = await loadBoxTargetWithPrisma({ prisma: deps.prisma, vault: deps.vault }, input.boxId).catch(
    (error: unknown) => {
      throw new AppError('conflict', `Box ${input.boxId} cannot be dialled: ${(error as Error).message}`);
    },
  );
  const target = { ...current, hostKey: { kind: 'pinned' as const, fingerprint: input.fingerprint } };
  try {
    const probe = await SshConnection.open(target, deps.ssh.timeouts, discardEvents);
    await probe.close(2_000);
  } catch (error) {
    if (error instanceof FleetError && error.failure === 'host_key_mismatch') {
      throw new AppError(
        'conflict',
        `Box ${input.boxId} does not present ${input.fingerprint}: nothing was re-pinned.`,
        {
          cause: error,
        },
      );
    }
    throw new AppError('upstream_unavailable', `Box ${input.boxId} could not be reached to check its key.`, {
      cause: error,
    });
  }
  const hostKeyUnreachable = box.status === 'unreachable' && (box.statusReason ?? '').startsWith('host key changed');
  const resolved = await deps.prisma.$transaction(async (tx) => {
    await tx.box.update({
      where: { id: input.boxId },
      data: {
        hostKeyFingerprint: input.fingerprint,
        hostKeyPendingFingerprint: null,
        hostKeyPinnedAt: new Date(),
        ...(hostKeyUnreachable ? { status: 'ready', statusReason: null } : {}),
      },
    });
    const count = await resolveAlerts({ prisma: tx }, hostKeyAlertKey(input.boxId));
    await writeAudit(
      { prisma: tx },
      {
        actor: { type: 'user', id: operator.userId, label: operator.email },
        action: 'box.host_key.repinned',
        tenantId: box.tenantId,
        target: { type: 'box', id: input.boxId },
        before: { fingerprint: box.hostKeyFingerprint },
        after: { fingerprint: input.fingerprint },
        request: {
          ipAddress: operator.ip ?? undefined,
          userAgent: operator.userAgent ?? undefined,
          requestId: operator.requestId ?? undefined,
        },
        details: {
          previous: box.hostKeyFingerprint,
          fingerprint: input.fingerprint,
          reason: input.reason,
          address: `${current.host}:${current.port}`,
          unchanged: box.hostKeyFingerprint !== null && sameFingerprint(box.hostKeyFingerprint, input.fingerprint),
        },
      },
    );
    return count;
  });
  // A pooled connection made under the old pin must not be handed out again.
  deps.ssh.evict(current);
  return {
    boxId: input.boxId,
    previous: box.hostKeyFingerprint,
    fingerprint: input.fingerprint,
    status: hostKeyUnreachable ? 'ready' : box.status,
    resolvedAlerts: resolved,
  };
}
