import type { PrismaClient } from '@paddock/db';

/**
 * The box a tenant's chains and secrets go to: its newest box that is set up and not being destroyed (the one runs
 * go to). None while the tenant is provisioning: provisioning's own steps bring the box up to date then.
 */
export async function findTenantBox(prisma: PrismaClient, tenantId: string): Promise<string | undefined> {
  const box = await prisma.box.findFirst({
    where: { tenantId, destroyedAt: null, status: { in: ['ready', 'unhealthy', 'unreachable'] } },
    orderBy: { createdAt: 'desc' },
    select: { id: true },
  });
  return box?.id;
}
