import type { Box } from '@paddock/db';
import { DEFAULT_BOX_LAYOUT, wipeRuntimeUser } from '@paddock/fleet';
import { enqueueJob } from '@paddock/jobs';
import { createPrismaJobRecords } from '@paddock/jobs';
import { writeAudit } from '../../audit/audit-entry';
import { loadBoxTarget } from '../../boxes/box-target';
import type { ProvisioningDeps } from '../provisioning-deps';

export type ByoHostReturn = { returned: true; hostId: string } | { returned: false; reason: string };

/**
 * A deleted tenant's bring-your-own host goes back to its pool: it is wiped over its pinned connection (every trace of
 * the tenant: processes, runs, secrets, logs, temporary files; fleet's wipe-runtime-user.ts), then registered again as
 * a fresh host row (no tenant, same address, login key and pinned host key, `bootstrapping`) in the transaction that
 * ends the tenant's box row, and the `host.bootstrap` job dials it with the pin again and re-bootstraps it into
 * `ready`. A new row, not the old one made free: the tenant's box keeps its own history (status changes that meter
 * its box time, collector cursor, deploys, alerts) and the next tenant starts with none of it. A host that cannot be
 * wiped (unreachable, a changed host key) is not handed out again: its row ends with the reason and an operator
 * registers it again once they have looked at it.
 */
export async function returnByoHost(deps: ProvisioningDeps, box: Box, tenantId: string): Promise<ByoHostReturn> {
  const wiped = await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, box.id)
    .then((target) => wipeRuntimeUser(deps.ssh, target, deps.layout ?? DEFAULT_BOX_LAYOUT))
    .then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 500),
    );
  const now = new Date();
  const actor = { type: 'system' as const, label: 'tenant deletion' };
  if (wiped !== undefined) {
    await deps.prisma.$transaction(async (tx) => {
      await tx.box.update({
        where: { id: box.id },
        data: {
          status: 'destroyed',
          destroyedAt: now,
          statusReason: `tenant deleted; host not returned to its pool: could not wipe it: ${wiped}`.slice(0, 1_000),
        },
      });
      await writeAudit(
        { prisma: tx },
        {
          actor,
          action: 'host.not_returned',
          tenantId,
          target: { type: 'box', id: box.id },
          details: { address: `${box.address}:${box.port}`, pool: box.pool, reason: wiped },
        },
      );
    });
    return { returned: false, reason: wiped };
  }
  const host = await deps.prisma.$transaction(async (tx) => {
    // The tenant's row gives up the host's identity (the live-address index and provider id are one per host).
    await tx.box.update({
      where: { id: box.id },
      data: { status: 'destroyed', destroyedAt: now, providerId: null, statusReason: 'tenant deleted; host wiped' },
    });
    const fresh = await tx.box.create({
      data: {
        provider: 'byo',
        providerId: box.providerId,
        name: box.name,
        address: box.address,
        port: box.port,
        sshUser: box.sshUser,
        sshKeyId: box.sshKeyId,
        hostKeyFingerprint: box.hostKeyFingerprint,
        hostKeyAlgorithm: box.hostKeyAlgorithm,
        hostKeyPinnedAt: box.hostKeyPinnedAt,
        hostKeyTofuAllowed: false,
        pool: box.pool,
        status: 'bootstrapping',
        statusReason: `returned to pool ${box.pool ?? 'default'} after its tenant was deleted`,
      },
    });
    await writeAudit(
      { prisma: tx },
      {
        actor,
        action: 'host.returned',
        tenantId,
        target: { type: 'box', id: fresh.id },
        details: { fromBoxId: box.id, address: `${box.address}:${box.port}`, pool: box.pool, wiped: true },
      },
    );
    return fresh;
  });
  await enqueueJob(
    { queues: deps.queues, records: createPrismaJobRecords(deps.prisma) },
    'host.bootstrap',
    { boxId: host.id },
    { jobId: `host-bootstrap-${host.id}` },
  );
  return { returned: true, hostId: host.id };
}
