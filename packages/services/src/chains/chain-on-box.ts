import type { Prisma } from '@paddock/db';
import type { ReferenceInput } from '@paddock/contracts';
import { chainFileOnBox, filesOnBox } from './chain-paths';
import type { ServiceClients } from '../clients';

/** A stored chain version with what it takes to put it on a box. */
export interface StoredChainVersion {
  id: string;
  tenantId: string;
  chainId: string;
  chainName: string;
  version: number;
  contentHash: string;
  status: 'staging' | 'active' | 'rejected' | 'superseded';
  syncedAt: Date | null;
  fileName: string;
  definition: string;
  files: Map<string, string>;
  referenceInputs: ReferenceInput[];
  /** The chain file relative to the runtime root. */
  file: string;
}

const SELECT = {
  id: true,
  tenantId: true,
  chainId: true,
  version: true,
  contentHash: true,
  status: true,
  syncedAt: true,
  definition: true,
  prompts: true,
  referenceInputs: true,
  chain: { select: { name: true } },
} satisfies Prisma.ChainVersionSelect;

/** Loads one of a tenant's chain versions for the box (undefined when it is not the tenant's). */
export async function loadChainVersionForBox(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  chainVersionId: string,
): Promise<StoredChainVersion | undefined> {
  const row = await prisma.chainVersion.findFirst({ where: { id: chainVersionId, tenantId }, select: SELECT });
  if (!row) return undefined;
  const stored = row.definition as { fileName?: string; text?: string } | null;
  const fileName = stored?.fileName ?? 'chain.yaml';
  if (typeof stored?.text !== 'string') throw new Error(`chain version ${row.id} has no definition text`);
  return {
    id: row.id,
    tenantId: row.tenantId,
    chainId: row.chainId,
    chainName: row.chain.name,
    version: row.version,
    contentHash: row.contentHash,
    status: row.status,
    syncedAt: row.syncedAt,
    fileName,
    definition: stored.text,
    files: filesOnBox((row.prompts as Record<string, string> | null) ?? {}, fileName),
    referenceInputs: (row.referenceInputs as ReferenceInput[] | null) ?? [],
    file: chainFileOnBox(row.chain.name, row.contentHash, fileName),
  };
}
