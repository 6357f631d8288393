import type { ReleaseSchema } from '@paddock/contracts';
import type { z } from 'zod';
import { findCurrentRelease } from './current-release';
import type { ServiceClients } from '../clients';

export type ReleaseView = z.infer<typeof ReleaseSchema>;

/** Published releases, newest first, the one new boxes get marked `current`. */
export async function listReleases({ prisma }: Pick<ServiceClients, 'prisma'>, limit = 50): Promise<ReleaseView[]> {
  const [rows, current] = await Promise.all([
    prisma.release.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit }),
    findCurrentRelease({ prisma }),
  ]);
  return rows.map((r) => ({
    id: r.id,
    version: r.version,
    runtimeVersion: r.runtimeVersion,
    nodeVersion: r.nodeVersion,
    sizeBytes: Number(r.sizeBytes),
    fileCount: r.fileCount,
    notes: r.notes,
    current: r.id === current?.id,
    promotedAt: r.promotedAt?.toISOString() ?? null,
    withdrawnAt: r.withdrawnAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
  }));
}
