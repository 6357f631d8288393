import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findCurrentRelease } from './current-release';
import { type PublishedRelease, publishRuntimeRelease, type RuntimeReleaseSource } from './publish-release';
import type { ServiceClients } from '../clients';

/**
 * At worker start (demo and tests): when no release is current, or the current one's files are not on this
 * machine, build and publish the runtime from source, so a fresh install can provision without an operator step.
 */
export async function ensureCurrentRelease(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  source: RuntimeReleaseSource,
): Promise<
  PublishedRelease | { release: NonNullable<Awaited<ReturnType<typeof findCurrentRelease>>>; created: false }
> {
  const current = await findCurrentRelease({ prisma });
  if (current && existsSync(join(source.releaseDir, current.version))) return { release: current, created: false };
  return publishRuntimeRelease({ prisma }, source, { notes: 'published at worker start' });
}
