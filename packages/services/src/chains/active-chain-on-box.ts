import { AppError } from '@paddock/contracts';
import { DEFAULT_BOX_LAYOUT } from '@paddock/fleet';
import { chainFileOnBox } from './chain-paths';
import type { ServiceClients } from '../clients';

export interface ActiveChainOnBox {
  versionId: string;
  version: number;
  contentHash: string;
  /**
   * The active version's chain file relative to the runtime root (`chains/<name>/<hash>/chain.yaml`), prompts next
   * to it: what a `run` request's `file` names when `chainctl serve` runs in the runtime root.
   */
  file: string;
  /** The same file as an absolute path on a box with the default layout. */
  path: string;
}

/**
 * The version new runs of a chain should use, and where it is on the box: the chain's active version (it is active
 * only once synced). 404 for a chain the tenant does not have; 409 while no version of it is active yet.
 */
export async function activeChainOnBox(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  chainName: string,
): Promise<ActiveChainOnBox> {
  const chain = await prisma.chain.findFirst({
    where: { tenantId, name: chainName, archivedAt: null },
    select: {
      name: true,
      activeVersion: { select: { id: true, version: true, contentHash: true, definition: true, syncedAt: true } },
    },
  });
  if (!chain) throw new AppError('not_found', `There is no chain named ${JSON.stringify(chainName)}.`);
  const active = chain.activeVersion;
  if (!active?.syncedAt) {
    throw new AppError(
      'conflict',
      `Chain ${JSON.stringify(chainName)} has no active version yet: a new version becomes active once it is on the box ` +
        'and has passed its reference inputs.',
    );
  }
  const fileName = (active.definition as { fileName?: string } | null)?.fileName ?? 'chain.yaml';
  const file = chainFileOnBox(chain.name, active.contentHash, fileName);
  return {
    versionId: active.id,
    version: active.version,
    contentHash: active.contentHash,
    file,
    path: `${DEFAULT_BOX_LAYOUT.dataDir}/${file}`,
  };
}
