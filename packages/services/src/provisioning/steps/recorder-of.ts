import type { FleetRecorder } from '@paddock/fleet';
import type { ProvisioningDeps } from '../provisioning-deps';
import { createProvisioningRecorder } from '../provisioning-recorder';

const recorders = new WeakMap<ProvisioningDeps, FleetRecorder>();

export function recorderOf(deps: ProvisioningDeps): FleetRecorder {
  if (deps.recorder) return deps.recorder;
  let recorder = recorders.get(deps);
  if (!recorder) {
    recorder = createProvisioningRecorder(deps.prisma);
    recorders.set(deps, recorder);
  }
  return recorder;
}
