import { AppError } from '@paddock/contracts';
import { rollbackBox } from '@paddock/fleet';
import { loadBoxTarget } from '../boxes/box-target';
import { createPrismaFleetRecorder } from '../deploys/prisma-fleet-recorder';
import type { BoxMaintenanceDeps } from './box-maintenance-deps';

/**
 * The `box.rollback` job: the switch back to a release kept on the box, restart and health check, under the box's
 * deploy lock (fleet `rollbackBox`). The recorder closes the request's Deploy row and moves the box's release.
 * A retry after the box already runs the target finds nothing to do but the health check.
 */
export async function rollbackBoxRelease(
  deps: BoxMaintenanceDeps,
  payload: { boxId: string; deployId: string; toVersion: string },
): Promise<{ deployId: string; outcome: string; activeVersion: string | null }> {
  const target = await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, payload.boxId);
  const result = await rollbackBox({
    pool: deps.ssh,
    target,
    deployId: payload.deployId,
    toVersion: payload.toVersion,
    recorder:
      deps.recorder ??
      createPrismaFleetRecorder({ prisma: deps.prisma }, { actor: { type: 'system', label: 'box rollback' } }),
    lockWaitMs: 120_000,
    ...(deps.layout ? { layout: deps.layout } : {}),
  });
  if (result.outcome !== 'succeeded' && result.outcome !== 'unchanged') {
    throw new AppError(
      'upstream_unavailable',
      `Rollback of box ${payload.boxId} to ${payload.toVersion} ${result.outcome}: ${result.error?.message ?? 'no detail'}`,
    );
  }
  return { deployId: payload.deployId, outcome: result.outcome, activeVersion: result.activeVersion };
}
