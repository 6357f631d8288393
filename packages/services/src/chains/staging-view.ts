import { AppError, type ReferenceInput, type StagingResult } from '@paddock/contracts';
import type { ServiceClients } from '../clients';

export interface ChainVersionStaging {
  id: string;
  chainId: string;
  version: number;
  status: 'staging' | 'active' | 'rejected' | 'superseded';
  syncedAt: Date | null;
  activatedAt: Date | null;
  rejectedAt: Date | null;
  referenceInputs: ReferenceInput[];
  result: StagingResult | null;
  override: { byUserId: string | null; reason: string } | null;
  active: boolean;
  lastKnownGood: boolean;
}

/** Where a version stands in its deployment: synced, staged (with every check's outcome), active or not. */
export async function getChainVersionStaging(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  chainId: string,
  version: number,
): Promise<ChainVersionStaging> {
  const row = await prisma.chainVersion.findFirst({
    where: { tenantId, chainId, version },
    select: {
      id: true,
      chainId: true,
      version: true,
      status: true,
      syncedAt: true,
      activatedAt: true,
      rejectedAt: true,
      referenceInputs: true,
      stagingResult: true,
      overriddenByUserId: true,
      overrideReason: true,
      chain: { select: { activeVersionId: true, lastKnownGoodVersionId: true } },
    },
  });
  if (!row) throw new AppError('not_found', `Chain ${chainId} has no version ${version}.`);
  return {
    id: row.id,
    chainId: row.chainId,
    version: row.version,
    status: row.status,
    syncedAt: row.syncedAt,
    activatedAt: row.activatedAt,
    rejectedAt: row.rejectedAt,
    referenceInputs: (row.referenceInputs as ReferenceInput[] | null) ?? [],
    result: (row.stagingResult as StagingResult | null) ?? null,
    override: row.overrideReason === null ? null : { byUserId: row.overriddenByUserId, reason: row.overrideReason },
    active: row.chain.activeVersionId === row.id,
    lastKnownGood: row.chain.lastKnownGoodVersionId === row.id,
  };
}
