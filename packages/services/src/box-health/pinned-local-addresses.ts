import type { ServiceClients } from '../clients';

/**
 * Addresses that box records still pin a host key for (any box not destroyed): a new local test box must not get
 * one of them, or every connection made for the old record would meet another key (a false host-key alert).
 */
export async function pinnedBoxAddresses({ prisma }: Pick<ServiceClients, 'prisma'>): Promise<Set<string>> {
  const rows = await prisma.box.findMany({
    where: {
      address: { not: null },
      hostKeyFingerprint: { not: null },
      destroyedAt: null,
      status: { not: 'destroyed' },
    },
    select: { address: true },
  });
  return new Set(rows.flatMap((r) => (r.address ? [r.address] : [])));
}
