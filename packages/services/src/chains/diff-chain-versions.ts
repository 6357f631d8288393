import { getChainVersion } from './chain-versions';
import { unifiedDiff } from './unified-diff';
import type { ServiceClients } from '../clients';

export interface FileDiff {
  path: string;
  kind: 'definition' | 'file';
  change: 'added' | 'removed' | 'modified' | 'unchanged';
  diff: string | null;
}

/** What changed from version `a` to version `b` of one chain: its definition and every prompt file. */
export async function diffChainVersions(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  chainId: string,
  a: number,
  b: number,
) {
  const from = await getChainVersion({ prisma }, tenantId, chainId, a);
  const to = await getChainVersion({ prisma }, tenantId, chainId, b);
  const files: FileDiff[] = [
    {
      path: to.fileName,
      kind: 'definition',
      ...compare(from.definition, to.definition, from.fileName, to.fileName),
    },
  ];
  const paths = [...new Set([...from.files, ...to.files])].sort();
  for (const path of paths) {
    files.push({ path, kind: 'file', ...compare(from.fileContents[path], to.fileContents[path], path, path) });
  }
  return {
    chainId,
    from: { version: from.version, contentHash: from.contentHash },
    to: { version: to.version, contentHash: to.contentHash },
    files,
  };
}

function compare(
  before: string | undefined,
  after: string | undefined,
  fromPath: string,
  toPath: string,
): Pick<FileDiff, 'change' | 'diff'> {
  const labels = {
    from: before === undefined ? '/dev/null' : `a/${fromPath}`,
    to: after === undefined ? '/dev/null' : `b/${toPath}`,
  };
  const diff = unifiedDiff(before ?? '', after ?? '', labels);
  if (before === undefined) return { change: 'added', diff };
  if (after === undefined) return { change: 'removed', diff };
  return { change: diff === null ? 'unchanged' : 'modified', diff };
}
