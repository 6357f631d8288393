import type { FleetRecorder } from '@paddock/fleet';
import { createPrismaFleetRecorder } from '../../deploys/prisma-fleet-recorder';
import type { ProvisioningDeps } from '../provisioning-deps';

const recorders = new WeakMap<ProvisioningDeps, FleetRecorder>();

/** The deps' recorder (the worker passes the one its SSH pool uses), else one full Prisma recorder per deps. */
export function recorderOf(deps: ProvisioningDeps): FleetRecorder {
  if (deps.recorder) return deps.recorder;
  let recorder = recorders.get(deps);
  if (!recorder) {
    recorder = createPrismaFleetRecorder({ prisma: deps.prisma }, { actor: { type: 'system', label: 'provisioning' } });
    recorders.set(deps, recorder);
  }
  return recorder;
}
