import { AppError } from '@paddock/contracts';
import type { ServiceClients } from '../clients';

const DEPLOYS_SHOWN = 20;

/**
 * One box for the console's box page: where it is, its pinned host key (and the one it presented instead, when a
 * mismatch is pending), the release it runs, and its latest deploys and rollbacks with their log tails.
 */
export async function getBoxDetail({ prisma }: Pick<ServiceClients, 'prisma'>, boxId: string) {
  const box = await prisma.box.findUnique({
    where: { id: boxId },
    include: {
      tenant: { select: { slug: true } },
      currentRelease: { select: { version: true } },
      deploys: {
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: DEPLOYS_SHOWN,
        include: { release: { select: { version: true } }, previousRelease: { select: { version: true } } },
      },
    },
  });
  if (!box) throw new AppError('not_found', `No box ${boxId}.`);
  return {
    id: box.id,
    name: box.name,
    tenantId: box.tenantId,
    tenantSlug: box.tenant?.slug ?? null,
    provider: box.provider,
    address: box.address,
    port: box.port,
    pool: box.pool,
    status: box.status,
    statusReason: box.statusReason,
    runtimeVersion: box.runtimeVersion,
    release: box.currentRelease?.version ?? null,
    hostKeyFingerprint: box.hostKeyFingerprint,
    hostKeyPendingFingerprint: box.hostKeyPendingFingerprint,
    hostKeyPinnedAt: box.hostKeyPinnedAt?.toISOString() ?? null,
    bootstrappedAt: box.bootstrappedAt?.toISOString() ?? null,
    lastSeenAt: box.lastSeenAt?.toISOString() ?? null,
    createdAt: box.createdAt.toISOString(),
    deploys: box.deploys.map((d) => ({
      id: d.id,
      kind: d.kind,
      status: d.status,
      release: d.release.version,
      previousRelease: d.previousRelease?.version ?? null,
      rolloutId: d.rolloutId,
      attempts: d.attempts,
      error: d.error,
      logTail: d.logTail,
      createdAt: d.createdAt.toISOString(),
      startedAt: d.startedAt?.toISOString() ?? null,
      finishedAt: d.finishedAt?.toISOString() ?? null,
    })),
  };
}
