import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Release } from '@paddock/db';
import { buildReleaseFromDirectory, buildRuntimeRelease, type LocalRelease, MANIFEST_FILE_NAME } from '@paddock/fleet';
import { loadLocalRelease } from './current-release';
import type { ServiceClients } from '../clients';

export interface RuntimeReleaseSource {
  /** The control plane's release directory: one sub-directory per published version, named by the version. */
  releaseDir: string;
  /** packages/runtime of this repository (what a release is built from). */
  runtimeDir: string;
  /** `system`: the box's own Node >= 20 (offline, quick); `bundled`: the release carries this Node binary. */
  node: { kind: 'system' } | { kind: 'bundled'; binary: string };
}

export interface PublishedRelease {
  release: Release;
  local: LocalRelease;
  /** False when a release with the same content was published before (nothing new was written). */
  created: boolean;
}

/**
 * Builds the box runtime into the release directory and records it as a Release row; the newest release that is
 * not withdrawn is the current one, which provisioning deploys. The version is derived from the content
 * (`<runtime version>+<content hash>`), so publishing the same code twice, from any number of processes at once,
 * yields one release.
 */
export async function publishRuntimeRelease(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  source: RuntimeReleaseSource,
  /** `promote` (default true): new boxes get this release at once; false leaves that to a successful rollout. */
  options: { notes?: string; promote?: boolean } = {},
): Promise<PublishedRelease> {
  const runtimeVersion = await readRuntimeVersion(source.runtimeDir);
  const staging = join(source.releaseDir, `.build-${randomUUID()}`);
  let version: string;
  try {
    const built = await buildRuntimeRelease({
      runtimeDir: source.runtimeDir,
      outDir: staging,
      version: 'staging',
      node: source.node,
    });
    version = `${runtimeVersion}+${contentHash(built).slice(0, 12)}`;
    const final = join(source.releaseDir, version);
    if (!existsSync(join(final, MANIFEST_FILE_NAME))) {
      await buildReleaseFromDirectory(staging, { version, description: built.manifest.description });
      await rm(final, { recursive: true, force: true });
      // Another process may have renamed the same content in first: theirs is as good as ours.
      await rename(staging, final).catch((error: NodeJS.ErrnoException) => {
        if (!existsSync(join(final, MANIFEST_FILE_NAME))) throw error;
      });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const local = await loadLocalRelease(source.releaseDir, version);
  const inserted = await prisma.release.createMany({
    data: [
      {
        version,
        manifestHash: local.digest,
        manifest: local.manifest,
        runtimeVersion,
        nodeVersion: source.node.kind === 'system' ? null : await nodeVersionOf(local),
        sizeBytes: BigInt(local.totalBytes),
        fileCount: local.manifest.files.length,
        notes: options.notes ?? local.manifest.description,
        promotedAt: options.promote === false ? null : new Date(),
      },
    ],
    skipDuplicates: true,
  });
  const release = await prisma.release.findUniqueOrThrow({ where: { version } });
  return { release, local, created: inserted.count === 1 };
}

/** Identity of the files alone (the version label is not part of it). */
function contentHash(release: LocalRelease): string {
  const hash = createHash('sha256');
  for (const file of release.manifest.files) {
    hash.update(`${file.sha256} ${file.executable ? 'x' : '-'} ${file.size} ${file.path}\n`);
  }
  return hash.digest('hex');
}

async function readRuntimeVersion(runtimeDir: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(runtimeDir, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

async function nodeVersionOf(local: LocalRelease): Promise<string | null> {
  return /node (v[\d.]+)/.exec(local.manifest.description)?.[1] ?? null;
}
