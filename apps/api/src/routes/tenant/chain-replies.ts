import type { ChainSummary, ChainVersionDetail, ChainVersionSummary } from '@paddock/services';

export function toChainVersionReply(version: ChainVersionSummary) {
  return {
    id: version.id,
    chainId: version.chainId,
    version: version.version,
    contentHash: version.contentHash,
    status: version.status,
    fileName: version.fileName,
    files: version.files,
    createdAt: version.createdAt.toISOString(),
    syncedAt: version.syncedAt?.toISOString() ?? null,
  };
}

export function toChainVersionDetailReply(version: ChainVersionDetail) {
  return { ...toChainVersionReply(version), definition: version.definition, fileContents: version.fileContents };
}

export function toChainReply(chain: ChainSummary) {
  return { ...chain, createdAt: chain.createdAt.toISOString(), updatedAt: chain.updatedAt.toISOString() };
}
