import { bootstrapBox } from '@paddock/fleet';
import { loadBoxTarget } from '../../boxes/box-target';
import type { WorkflowStepContext } from '../../workflows/define-workflow';
import { boxIdOf } from '../box-name';
import type { ProvisioningDeps } from '../provisioning-deps';
import { recorderOf } from './recorder-of';

/** Step 4: runtime user, directories, service, sshd hardening. Safe to run again: it reports what it changed. */
export async function bootstrapStep(
  deps: ProvisioningDeps,
  ctx: WorkflowStepContext,
): Promise<{ serviceMode: string; changedSteps: string[] }> {
  const boxId = boxIdOf(ctx);
  const box = await deps.prisma.box.update({ where: { id: boxId }, data: { status: 'bootstrapping' } });
  const target = await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, boxId);
  const result = await bootstrapBox({
    pool: deps.ssh,
    target,
    systemNode: deps.systemNode,
    // Hetzner's metadata service serves the user data to any local user; local test boxes share this machine's
    // network and byo hosts are the operator's: their firewalls are not ours to change.
    closeMetadataService: box.provider === 'hetzner' && (deps.providers.hetzner?.servesUserData ?? true),
    recorder: recorderOf(deps),
    ...(deps.layout ? { layout: deps.layout } : {}),
  });
  const changedSteps = result.steps.filter((s) => s.changed).map((s) => s.step);
  await deps.prisma.box.update({
    where: { id: boxId },
    data: {
      bootstrappedAt: new Date(),
      bootstrapReport: { serviceMode: result.serviceMode, steps: result.steps.map((s) => ({ ...s })) },
    },
  });
  return { serviceMode: result.serviceMode, changedSteps };
}
