import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import type { Queues } from '@paddock/jobs';
import { queueChainSync } from './sync-jobs';
import type { RequestFacts, TenantIdentity } from '../tenants/tenant-identity';
import { type UploadChainInput, type UploadOutcome, uploadChainVersion } from './chain-versions';

/**
 * An upload as the API takes it: the version and its sync's job record are stored together, then the sync is added
 * to its queue. If that last step fails the version is kept and uploading it again queues the sync again.
 */
export async function deployChainVersion(
  deps: { prisma: PrismaClient; queues: Queues },
  actor: TenantIdentity,
  input: UploadChainInput,
  request: RequestFacts = {},
): Promise<UploadOutcome> {
  const outcome = await uploadChainVersion({ prisma: deps.prisma }, actor, input, request);
  if (outcome.sync) {
    try {
      await queueChainSync({ queues: deps.queues }, outcome.sync);
    } catch (error) {
      throw new AppError(
        'upstream_unavailable',
        `Version ${outcome.version.version} is stored, but its sync to the box could not be queued; upload it again.`,
        { cause: error },
      );
    }
  }
  return outcome;
}
