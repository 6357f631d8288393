import { bootstrapBox } from '@paddock/fleet';
import { loadBoxTarget } from '../boxes/box-target';
import { createPrismaFleetRecorder } from '../deploys/prisma-fleet-recorder';
import type { BoxMaintenanceDeps } from './box-maintenance-deps';

/**
 * The `box.rebootstrap` job: the same idempotent bootstrap a new box gets, on a box that runs, recording when and
 * what it changed. The box's status is not touched: the collector's health beat judges it as before.
 */
export async function rebootstrapBox(
  deps: BoxMaintenanceDeps,
  payload: { boxId: string },
): Promise<{ boxId: string; serviceMode: string; changedSteps: string[] }> {
  const box = await deps.prisma.box.findUniqueOrThrow({ where: { id: payload.boxId }, select: { provider: true } });
  const target = await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, payload.boxId);
  const result = await bootstrapBox({
    pool: deps.ssh,
    target,
    systemNode: deps.systemNode,
    // As at provisioning: only Hetzner's metadata service is ours to close (bootstrap-box-step.ts).
    closeMetadataService: box.provider === 'hetzner',
    recorder:
      deps.recorder ??
      createPrismaFleetRecorder({ prisma: deps.prisma }, { actor: { type: 'system', label: 'box re-bootstrap' } }),
    ...(deps.layout ? { layout: deps.layout } : {}),
  });
  await deps.prisma.box.update({
    where: { id: payload.boxId },
    data: {
      bootstrappedAt: new Date(),
      bootstrapReport: { serviceMode: result.serviceMode, steps: result.steps.map((s) => ({ ...s })) },
    },
  });
  return {
    boxId: payload.boxId,
    serviceMode: result.serviceMode,
    changedSteps: result.steps.filter((s) => s.changed).map((s) => s.step),
  };
}
