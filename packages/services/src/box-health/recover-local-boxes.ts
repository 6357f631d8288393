import type { PrismaClient } from '@paddock/db';
import { DEFAULT_BOX_LAYOUT, layoutPaths, type SshPool, sh } from '@paddock/fleet';
import type { BoxProvider } from '@paddock/providers';
import type { Vault } from '@paddock/vault';
import type { Pool } from 'pg';
import { loadBoxTarget } from '../boxes/box-target';
import { raiseAlert } from '../alerts/raise-alert';
import { writeAudit } from '../audit/audit-entry';

export interface RecoverLocalBoxesDeps {
  prisma: PrismaClient;
  pg: Pool;
  vault: Vault;
  ssh: SshPool;
  provider: BoxProvider;
  log: { info(fields: object, message: string): void; warn(fields: object, message: string): void };
}

export interface RecoveredLocalBoxes {
  running: string[];
  revived: string[];
  lost: string[];
}

/**
 * Local test boxes live in this machine's memory (sshd in namespaces): after the machine restarts, the boxes the
 * database still lists are gone. At worker start each one is started again from its directory on its pinned address
 * (its runtime started over SSH, audited `box.revived`), or, when its directory did not survive (tmpfs), marked lost:
 * destroyed with the reason, a critical `box_lost` alert and an audit row, so its address pin is released too.
 * Idempotent: a box that runs is left alone, so every worker may run it at start.
 */
export async function recoverLocalBoxes(deps: RecoverLocalBoxesDeps): Promise<RecoveredLocalBoxes> {
  const outcome: RecoveredLocalBoxes = { running: [], revived: [], lost: [] };
  const boxes = await deps.prisma.box.findMany({
    where: {
      provider: 'local',
      providerId: { not: null },
      destroyedAt: null,
      status: { notIn: ['pending', 'creating', 'destroying', 'destroyed'] },
    },
    select: { id: true, tenantId: true, providerId: true, address: true },
  });
  for (const box of boxes) {
    const providerId = box.providerId as string;
    const now = await deps.provider.status(providerId);
    if (now.status === 'running') {
      outcome.running.push(box.id);
      continue;
    }
    const revived = deps.provider.revive
      ? await deps.provider.revive(providerId).catch((error: unknown) => {
          deps.log.warn({ boxId: box.id, err: error }, 'local box did not start again');
          return now;
        })
      : now;
    if (revived.status === 'running') {
      outcome.revived.push(box.id);
      await startRuntime(deps, box.id);
      await writeAudit(
        { prisma: deps.prisma },
        {
          actor: { type: 'system', label: 'local box recovery' },
          action: 'box.revived',
          tenantId: box.tenantId,
          target: { type: 'box', id: box.id },
          details: { providerId, address: box.address },
        },
      );
      continue;
    }
    outcome.lost.push(box.id);
    const reason = `local test box ${providerId} was lost (its machine restarted and its directory is gone)`;
    await deps.prisma.$transaction(async (tx) => {
      await tx.box.update({
        where: { id: box.id },
        data: { status: 'destroyed', destroyedAt: new Date(), statusReason: reason },
      });
      await raiseAlert(
        { prisma: tx },
        {
          tenantId: box.tenantId,
          boxId: box.id,
          severity: 'critical',
          code: 'box_lost',
          message: `Box ${box.id}: ${reason}. Provision the tenant again.`,
          details: { providerId, address: box.address },
          dedupeKey: `box_lost:${box.id}`,
        },
      );
      await writeAudit(
        { prisma: tx },
        {
          actor: { type: 'system', label: 'local box recovery' },
          action: 'box.lost',
          tenantId: box.tenantId,
          target: { type: 'box', id: box.id },
          details: { providerId, address: box.address, reason },
        },
      );
    });
  }
  return outcome;
}

// The runtime is started by root's supervisor through paddock-service; a box never bootstrapped has none (its
// collector's health beat says so), which is not worth failing the recovery of the others for.
async function startRuntime(deps: RecoverLocalBoxesDeps, boxId: string): Promise<void> {
  try {
    const connection = await deps.ssh.connect(await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, boxId));
    await connection.exec(sh`${layoutPaths(DEFAULT_BOX_LAYOUT).service} start --no-wait`, { timeoutMs: 30_000 });
  } catch (error) {
    deps.log.warn({ boxId, err: error }, 'revived local box: its runtime did not start');
  }
}
