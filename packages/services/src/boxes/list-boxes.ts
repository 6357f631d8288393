import type { BoxStatus, PrismaClient } from '@paddock/db';

/** Boxes for operators (`GET /v1/operator/boxes`, `paddock boxes list`), newest first, filtered exactly. */
export async function listBoxes(
  prisma: PrismaClient,
  filter: {
    status?: string | undefined;
    provider?: 'byo' | 'hetzner' | 'local' | undefined;
    tenantId?: string | undefined;
    limit: number;
  },
) {
  const rows = await prisma.box.findMany({
    where: {
      ...(filter.status ? { status: filter.status as BoxStatus } : {}),
      ...(filter.provider ? { provider: filter.provider } : {}),
      ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: filter.limit,
  });
  return {
    boxes: rows.map((b) => ({
      id: b.id,
      name: b.name,
      tenantId: b.tenantId,
      provider: b.provider,
      address: b.address,
      port: b.port,
      pool: b.pool,
      status: b.status,
      statusReason: b.statusReason,
      runtimeVersion: b.runtimeVersion,
      lastSeenAt: b.lastSeenAt?.toISOString() ?? null,
      createdAt: b.createdAt.toISOString(),
    })),
  };
}
