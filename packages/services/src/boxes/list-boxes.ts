import type { BoxStatus, Prisma } from '@paddock/db';
import type { ServiceClients } from '../clients';

export interface ListBoxesFilter {
  status?: string | undefined;
  provider?: 'byo' | 'hetzner' | 'local' | undefined;
  tenantId?: string | undefined;
  /** A prefix of the name or address (case-insensitive). */
  q?: string | undefined;
  sort?: 'created' | 'name' | 'status' | 'last_seen' | 'release' | undefined;
  order?: 'asc' | 'desc' | undefined;
  offset?: number | undefined;
  limit: number;
}

// Every order ends on the id, so rows that tie keep one order from page to page.
const ORDER: Record<
  NonNullable<ListBoxesFilter['sort']>,
  (o: 'asc' | 'desc') => Prisma.BoxOrderByWithRelationInput[]
> = {
  created: (o) => [{ createdAt: o }, { id: o }],
  name: (o) => [{ name: { sort: o, nulls: 'last' } }, { id: o }],
  status: (o) => [{ status: o }, { createdAt: 'desc' }, { id: o }],
  last_seen: (o) => [{ lastSeenAt: { sort: o, nulls: 'last' } }, { id: o }],
  release: (o) => [{ runtimeVersion: { sort: o, nulls: 'last' } }, { id: o }],
};

/**
 * Boxes for operators (`GET /v1/operator/boxes`, `paddock boxes list`, the console's boxes page): filtered exactly,
 * sorted by the column asked for (newest first by default) and paged by offset, with the total that matches.
 */
export async function listBoxes({ prisma }: Pick<ServiceClients, 'prisma'>, filter: ListBoxesFilter) {
  const q = filter.q?.trim();
  const where: Prisma.BoxWhereInput = {
    ...(filter.status ? { status: filter.status as BoxStatus } : {}),
    ...(filter.provider ? { provider: filter.provider } : {}),
    ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
    ...(q
      ? {
          OR: [
            { name: { startsWith: q, mode: 'insensitive' as const } },
            { address: { startsWith: q, mode: 'insensitive' as const } },
          ],
        }
      : {}),
  };
  const offset = filter.offset ?? 0;
  const [rows, total] = await Promise.all([
    prisma.box.findMany({
      where,
      orderBy: ORDER[filter.sort ?? 'created'](filter.order ?? 'desc'),
      skip: offset,
      take: filter.limit,
    }),
    prisma.box.count({ where }),
  ]);
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
      hostKeyFingerprint: b.hostKeyFingerprint,
      lastSeenAt: b.lastSeenAt?.toISOString() ?? null,
      createdAt: b.createdAt.toISOString(),
    })),
    total,
    nextOffset: offset + rows.length < total ? offset + rows.length : null,
  };
}
