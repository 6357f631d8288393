import { pushSecrets } from '@paddock/fleet';
import { loadBoxTarget } from '../../boxes/box-target';
import { secretContext } from '../../secrets/tenant-secrets';
import type { WorkflowStepContext } from '../../workflows/define-workflow';
import { boxIdOf } from '../box-name';
import type { ProvisioningDeps } from '../provisioning-deps';
import { recorderOf } from './recorder-of';

/** Step 6: the tenant's secrets (decrypted only here, in memory) replace the box's secrets file. Names are recorded. */
export async function pushSecretsStep(deps: ProvisioningDeps, ctx: WorkflowStepContext): Promise<{ names: string[] }> {
  const boxId = boxIdOf(ctx);
  const rows = await deps.prisma.tenantSecret.findMany({
    where: { tenantId: ctx.tenantId },
    select: { name: true, valueEncrypted: true },
  });
  const secrets = Object.fromEntries(
    rows.map((row) => [row.name, deps.vault.decrypt(row.valueEncrypted, secretContext(ctx.tenantId, row.name))]),
  );
  const target = await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, boxId);
  return pushSecrets({
    pool: deps.ssh,
    target,
    secrets,
    recorder: recorderOf(deps),
    ...(deps.layout ? { layout: deps.layout } : {}),
  });
}
