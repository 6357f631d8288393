import { randomBytes } from 'node:crypto';
import { cpSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { buildReleaseFromDirectory } from '@paddock/fleet';
import { type LifecycleEnv, RELEASE_DIR } from '../../lifecycle/support/lifecycle-env';

/**
 * A second release of the same runtime under a new version (its own manifest), unpromoted: what an operator rolls
 * out. Same files, so the boxes keep working; a new version, so every box is a target.
 */
export async function publishReleaseCopy(env: LifecycleEnv): Promise<string> {
  const current = await env.prisma.release.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
  const version = `${current.runtimeVersion}+console-${randomBytes(4).toString('hex')}`;
  const staging = join(RELEASE_DIR, `.copy-${version}`);
  cpSync(join(RELEASE_DIR, current.version), staging, { recursive: true });
  const local = await buildReleaseFromDirectory(staging, { version, description: 'console rollout test' });
  renameSync(staging, join(RELEASE_DIR, version));
  await env.prisma.release.create({
    data: {
      version,
      manifestHash: local.digest,
      manifest: JSON.parse(JSON.stringify(local.manifest)),
      runtimeVersion: current.runtimeVersion,
      sizeBytes: BigInt(local.totalBytes),
      fileCount: local.manifest.files.length,
    },
  });
  return version;
}
