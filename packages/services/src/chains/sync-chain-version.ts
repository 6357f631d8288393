import { DEFAULT_BOX_LAYOUT } from '@paddock/fleet';
import { loadBoxTargetWithPrisma } from '../boxes/load-box-target-prisma';
import { finishStaging } from './chain-activation';
import type { BoxSyncDeps } from '../boxes/box-sync-deps';
import { loadChainVersionForBox } from './chain-on-box';
import { recordStagingProblem } from './staging-problem';
import { queueChainStage } from './sync-jobs';
import { boxForJob } from '../boxes/tenant-box';
import { writeChainFiles } from './write-chain-files';

export interface SyncJobContext {
  jobId: string;
  finalAttempt: boolean;
}

/**
 * The `chain.sync` job: puts a chain version's files on the tenant's box and moves it on, to staging when it has
 * reference inputs, straight to active when it has none. A tenant without a box yet is skipped (nothing to write
 * to; the version stays unsynced and is synced again by the next upload of it).
 */
export async function syncChainVersion(
  deps: BoxSyncDeps,
  payload: { tenantId: string; chainVersionId: string },
  context: SyncJobContext,
) {
  const layout = deps.layout ?? DEFAULT_BOX_LAYOUT;
  const version = await loadChainVersionForBox({ prisma: deps.prisma }, payload.tenantId, payload.chainVersionId);
  if (!version) return { skipped: 'the chain version no longer exists' };
  const box = await boxForJob({ prisma: deps.prisma }, payload.tenantId, context.finalAttempt);
  if ('skipped' in box) return box;
  const { boxId } = box;
  let outcome: string;
  try {
    const connection = await deps.ssh.connect(
      await loadBoxTargetWithPrisma({ prisma: deps.prisma, vault: deps.vault }, boxId),
    );
    outcome = await writeChainFiles(connection, layout, version);
  } catch (error) {
    if (context.finalAttempt) {
      await recordStagingProblem(
        { prisma: deps.prisma },
        version.id,
        `the files did not reach the box: ${(error as Error).message}`.slice(0, 1_000),
      );
    }
    throw error;
  }
  await deps.prisma.chainVersion.update({ where: { id: version.id }, data: { syncedAt: new Date() } });
  let next: string;
  if (version.status !== 'staging') next = `none (the version is ${version.status})`;
  else if (version.referenceInputs.length === 0)
    next = `${(await finishStaging({ prisma: deps.prisma }, version.id, null)).status}`;
  else next = `staging job ${await queueChainStage(deps, payload, context.jobId)}`;
  return { boxId, file: version.file, outcome, next };
}
