import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@paddock/contracts';
import type { Release } from '@paddock/db';
import { type LocalRelease, MANIFEST_FILE_NAME, manifestDigest, ReleaseManifestSchema } from '@paddock/fleet';
import type { ServiceClients } from '../clients';

/**
 * The release new boxes get: the newest promoted one that was not withdrawn. A release is promoted when a rollout
 * of it succeeds (or at publish, when the publisher asks: the first release, the one a worker builds at start), so
 * publishing a release does not hand it to new boxes before it has proven itself on the fleet.
 */
export async function findCurrentRelease({ prisma }: Pick<ServiceClients, 'prisma'>): Promise<Release | null> {
  return prisma.release.findFirst({
    where: { withdrawnAt: null, promotedAt: { not: null } },
    orderBy: [{ promotedAt: 'desc' }, { id: 'desc' }],
  });
}

/** The current release, with its files on this machine's release directory, ready to deploy. */
export async function loadCurrentRelease(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  releaseDir: string,
): Promise<{ release: Release; local: LocalRelease }> {
  const release = await findCurrentRelease({ prisma });
  if (!release) {
    throw new AppError('unprocessable', 'No runtime release has been published yet: publish one before provisioning.');
  }
  const local = await loadLocalRelease(releaseDir, release.version);
  if (local.digest !== release.manifestHash) {
    throw new AppError(
      'internal',
      `Release ${release.version} in ${releaseDir} does not match its database record (manifest hash differs).`,
    );
  }
  return { release, local };
}

/** A published release read back from the release directory (its manifest names every file by hash). */
export async function loadLocalRelease(releaseDir: string, version: string): Promise<LocalRelease> {
  const root = join(releaseDir, version);
  const manifestPath = join(root, MANIFEST_FILE_NAME);
  if (!existsSync(manifestPath)) {
    throw new AppError('unprocessable', `Release ${version} is not in the release directory ${releaseDir}.`);
  }
  const manifest = ReleaseManifestSchema.parse(JSON.parse(await readFile(manifestPath, 'utf8')));
  return {
    manifest,
    digest: manifestDigest(manifest),
    root,
    totalBytes: manifest.files.reduce((sum, file) => sum + file.size, 0),
  };
}
