import { AppError, type Health, HealthSchema } from '@paddock/contracts';
import { DEFAULT_BOX_LAYOUT, layoutPaths, sh } from '@paddock/fleet';
import { loadBoxTarget } from '../../boxes/box-target';
import type { WorkflowStepContext } from '../../workflows/define-workflow';
import { boxIdOf } from '../box-name';
import type { ProvisioningDeps } from '../provisioning-deps';

/**
 * Step 7 (and resume's last step): the runtime answers `health` with a running, healthy daemon and a working PTY.
 * A few tries a second apart, since a just-restarted daemon may need a moment; the box becomes `ready`.
 */
export async function checkHealthStep(
  deps: ProvisioningDeps,
  ctx: WorkflowStepContext,
): Promise<{ version: string; node: string }> {
  const boxId = boxIdOf(ctx);
  const target = await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, boxId);
  const service = layoutPaths(deps.layout ?? DEFAULT_BOX_LAYOUT).service;
  let last = 'no answer';
  for (let attempt = 1; attempt <= 10 && !ctx.signal.aborted; attempt++) {
    const connection = await deps.ssh.connect(target);
    const result = await connection.exec(sh`${service} health`, { okExitCodes: [0, 1], label: 'runtime health' });
    const health = parseHealth(result.stdout);
    if (health?.ok && health.daemon.running && health.daemon.healthy) {
      await deps.prisma.box.update({
        where: { id: boxId },
        data: {
          status: 'ready',
          statusReason: null,
          health: health as object,
          healthCheckedAt: new Date(),
          lastSeenAt: new Date(),
          runtimeVersion: health.version.slice(0, 64),
        },
      });
      return { version: health.version, node: health.node };
    }
    last = health
      ? health.problems.join('; ') || 'daemon not healthy'
      : `unreadable answer: ${result.stderr.slice(-300)}`;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  await deps.prisma.box.update({
    where: { id: boxId },
    data: { status: 'unhealthy', statusReason: last.slice(0, 1_000), healthCheckedAt: new Date() },
  });
  throw new AppError('upstream_unavailable', `Box ${boxId} runtime is not healthy: ${last}`);
}

function parseHealth(stdout: string): Health | null {
  try {
    const parsed = HealthSchema.safeParse(JSON.parse(stdout));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
