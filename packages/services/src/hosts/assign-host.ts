import { AppError } from '@paddock/contracts';
import { type HostOperator, type HostView, hostView } from './host-view';
import type { ServiceClients } from '../clients';

/**
 * Gives a named host to a tenant that has no live box (a bring-your-own signup that found its pool empty, or a
 * tenant an operator wants on a particular machine). The tenant's provisioning workflow then finds the host as its
 * box (an operator's retry of a failed one). Under the tenant's box lock, the one provisioning takes, so a host is
 * never given to a tenant whose workflow is creating another box at the same moment; audited.
 */
export async function assignHost(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  input: { hostId: string; tenantId: string },
  operator: HostOperator,
): Promise<HostView> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`box:${input.tenantId}`}))`;
    const tenant = await tx.tenant.findUnique({ where: { id: input.tenantId }, select: { id: true, deletedAt: true } });
    if (!tenant || tenant.deletedAt) throw new AppError('not_found', `No tenant ${input.tenantId}.`);
    const live = await tx.box.findFirst({
      where: { tenantId: input.tenantId, destroyedAt: null, status: { notIn: ['destroying', 'destroyed'] } },
      select: { id: true },
    });
    if (live) throw new AppError('conflict', `Tenant ${input.tenantId} already has box ${live.id}.`);
    const [host] = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM boxes WHERE id = ${input.hostId}::uuid AND provider = 'byo' AND destroyed_at IS NULL FOR UPDATE`;
    if (!host) throw new AppError('not_found', `No bring-your-own host ${input.hostId}.`);
    const claimed = await tx.box.updateMany({
      where: { id: input.hostId, tenantId: null },
      data: { tenantId: input.tenantId },
    });
    if (claimed.count === 0) throw new AppError('conflict', `Host ${input.hostId} already serves a tenant.`);
    await tx.auditLog.create({
      data: {
        tenantId: input.tenantId,
        actorType: 'user',
        actorId: operator.userId,
        actorLabel: operator.email,
        action: 'host.assign',
        targetType: 'box',
        targetId: input.hostId,
        details: { tenantId: input.tenantId },
        ipAddress: operator.ip ?? null,
        requestId: operator.requestId ?? null,
      },
    });
    return hostView(await tx.box.findUniqueOrThrow({ where: { id: input.hostId } }));
  });
}
