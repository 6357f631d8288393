import { AppError } from '@paddock/contracts';
import type { ServiceClients } from '../clients';

export interface ChainSummary {
  id: string;
  name: string;
  description: string | null;
  latestVersion: number | null;
  activeVersionId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The tenant's chains by name, a page at a time; the cursor is the last name of the previous page. */
export async function listChains(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ chains: ChainSummary[]; nextCursor: string | null }> {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const rows = await prisma.chain.findMany({
    where: { tenantId, archivedAt: null, ...(after === undefined ? {} : { name: { gt: after } }) },
    orderBy: { name: 'asc' },
    take: page.limit + 1,
    select: {
      id: true,
      name: true,
      description: true,
      activeVersionId: true,
      createdAt: true,
      updatedAt: true,
      versions: { select: { version: true }, orderBy: { version: 'desc' }, take: 1 },
    },
  });
  const chains = rows.slice(0, page.limit).map(({ versions, ...chain }) => ({
    ...chain,
    latestVersion: versions[0]?.version ?? null,
  }));
  const last = chains[chains.length - 1];
  return { chains, nextCursor: rows.length > page.limit && last ? encodeCursor(last.name) : null };
}

function encodeCursor(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  if (encodeCursor(name) !== cursor)
    throw new AppError('validation_failed', 'The cursor is not one this API gave out.');
  return name;
}
