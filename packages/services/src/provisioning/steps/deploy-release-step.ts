import { AppError } from '@paddock/contracts';
import { deployToBox } from '@paddock/fleet';
import { loadBoxTarget } from '../../boxes/box-target';
import { loadCurrentRelease } from '../../releases/current-release';
import type { WorkflowStepContext } from '../../workflows/define-workflow';
import { boxIdOf } from '../box-name';
import type { ProvisioningDeps } from '../provisioning-deps';
import { recorderOf } from './recorder-of';

/**
 * Step 5: the current release onto the box, through the fleet's careful deploy (content-addressed upload, verify,
 * atomic switch, health, rollback). Each attempt is a Deploy row; a box that already runs the release is `unchanged`.
 */
export async function deployReleaseStep(
  deps: ProvisioningDeps,
  ctx: WorkflowStepContext,
): Promise<{ release: string; deployId: string; outcome: string }> {
  const boxId = boxIdOf(ctx);
  const { release, local } = await loadCurrentRelease({ prisma: deps.prisma }, deps.releaseDir);
  const box = await deps.prisma.box.update({ where: { id: boxId }, data: { status: 'deploying' } });
  const deploy = await deps.prisma.deploy.create({
    data: { boxId, tenantId: box.tenantId, releaseId: release.id, previousReleaseId: box.currentReleaseId },
  });
  const target = await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, boxId);
  const result = await deployToBox({
    pool: deps.ssh,
    target,
    release: local,
    deployId: deploy.id,
    recorder: recorderOf(deps),
    // A duplicate run of this step (at-least-once) waits for the other deploy rather than failing on its lock.
    lockWaitMs: 120_000,
    ...(deps.layout ? { layout: deps.layout } : {}),
  });
  if (result.outcome !== 'succeeded' && result.outcome !== 'unchanged') {
    throw new AppError(
      'upstream_unavailable',
      `Deploy of release ${release.version} to box ${boxId} ${result.outcome}: ${result.error?.message ?? 'no detail'}`,
    );
  }
  await deps.prisma.box.update({
    where: { id: boxId },
    data: { currentReleaseId: release.id, runtimeVersion: release.runtimeVersion },
  });
  await supersedeAbandonedDeploys(deps, boxId, deploy);
  return { release: release.version, deployId: deploy.id, outcome: result.outcome };
}

/**
 * A worker killed between creating its deploy row and starting the deploy leaves that row `queued` for ever; the
 * step's next run (a retry, or another worker taking the job over) creates its own. Once this run's deploy has
 * landed, earlier provisioning rows of the box that never started are closed as superseded. Deploys to a box are
 * serialised by its lock, so such a row has no deploy under way behind it; were its creator alive and still waiting
 * for the lock, its own outcome would overwrite this (rows are closed by id).
 */
async function supersedeAbandonedDeploys(
  deps: ProvisioningDeps,
  boxId: string,
  deploy: { id: string; createdAt: Date },
): Promise<void> {
  await deps.prisma.deploy.updateMany({
    where: {
      boxId,
      id: { not: deploy.id },
      status: 'queued',
      startedAt: null,
      rolloutId: null,
      createdAt: { lte: deploy.createdAt },
    },
    data: {
      status: 'canceled',
      finishedAt: new Date(),
      error: `superseded by deploy ${deploy.id}: the provisioning step ran again after its worker stopped`,
    },
  });
}
