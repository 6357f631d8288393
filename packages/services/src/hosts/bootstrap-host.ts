import { bootstrapBox } from '@paddock/fleet';
import type { Logger } from '@paddock/platform';
import { loadBoxTarget } from '../boxes/box-target';
import { createPrismaFleetRecorder } from '../deploys/prisma-fleet-recorder';
import type { ProvisioningDeps } from '../provisioning/provisioning-deps';

export type BootstrapHostDeps = Pick<
  ProvisioningDeps,
  'prisma' | 'pg' | 'vault' | 'ssh' | 'systemNode' | 'layout' | 'recorder'
>;

/**
 * The `host.bootstrap` job: a registered bring-your-own host gets the runtime user, directories, service and sshd
 * hardening (the same idempotent bootstrap as every box; its firewall is the operator's, so the metadata guard
 * stays off), then joins its pool as `ready`. A failure marks it `failed` with the reason (the job retries; an
 * operator sees why in `hosts list`). A host a tenant claimed meanwhile is left to its provisioning workflow.
 */
export async function bootstrapHost(
  deps: BootstrapHostDeps,
  payload: { boxId: string },
  context: { logger?: Logger; finalAttempt?: boolean } = {},
): Promise<{ boxId: string; serviceMode: string; changedSteps: string[] }> {
  const target = await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, payload.boxId);
  try {
    const result = await bootstrapBox({
      pool: deps.ssh,
      target,
      systemNode: deps.systemNode,
      closeMetadataService: false,
      recorder:
        deps.recorder ??
        createPrismaFleetRecorder({ prisma: deps.prisma }, { actor: { type: 'system', label: 'host bootstrap' } }),
      ...(deps.layout ? { layout: deps.layout } : {}),
    });
    await deps.prisma.box.updateMany({
      where: { id: payload.boxId, status: { in: ['bootstrapping', 'failed'] } },
      data: {
        status: 'ready',
        statusReason: null,
        bootstrappedAt: new Date(),
        bootstrapReport: { serviceMode: result.serviceMode, steps: result.steps.map((s) => ({ ...s })) },
      },
    });
    return {
      boxId: payload.boxId,
      serviceMode: result.serviceMode,
      changedSteps: result.steps.filter((s) => s.changed).map((s) => s.step),
    };
  } catch (error) {
    await deps.prisma.box.updateMany({
      where: { id: payload.boxId, status: 'bootstrapping' },
      data: {
        ...(context.finalAttempt ? { status: 'failed' } : {}),
        statusReason: `bootstrap failed: ${(error as Error).message}`.slice(0, 1_000),
      },
    });
    context.logger?.warn({ boxId: payload.boxId, err: error }, 'host bootstrap failed');
    throw error;
  }
}
