import { type HostView, hostView } from './host-view';
import type { ServiceClients } from '../clients';

/** Registered bring-your-own hosts, oldest first (the order signups claim them in), optionally one pool or free ones. */
export async function listHosts(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  filter: { pool?: string | undefined; free?: boolean | undefined } = {},
): Promise<{ hosts: HostView[] }> {
  const rows = await prisma.box.findMany({
    where: {
      provider: 'byo',
      destroyedAt: null,
      ...(filter.pool ? { pool: filter.pool } : {}),
      ...(filter.free === undefined ? {} : filter.free ? { tenantId: null } : { tenantId: { not: null } }),
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: 500,
  });
  return { hosts: rows.map(hostView) };
}
