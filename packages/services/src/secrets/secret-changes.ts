import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import type { Queues } from '@paddock/jobs';
import type { Vault } from '@paddock/vault';
import { queueSecretsPush } from './queue-secrets-push';
import type { RequestFacts, TenantIdentity } from '../tenants/tenant-identity';
import { deleteTenantSecret, type SecretSummary, setTenantSecret } from './tenant-secrets';

type Deps = { prisma: PrismaClient; vault: Vault; queues: Queues };

/** Sets a secret and queues its push to the tenant's box (coalesced with other changes made at the same moment). */
export async function setSecretAndPush(
  deps: Deps,
  actor: TenantIdentity,
  input: { name: string; value: string },
  request: RequestFacts = {},
): Promise<SecretSummary & { created: boolean }> {
  const secret = await setTenantSecret(deps, actor, input, request);
  await queuePush(deps, actor.tenantId);
  return secret;
}

/** Deletes a secret and queues the push that removes it from the tenant's box. */
export async function deleteSecretAndPush(
  deps: Deps,
  actor: TenantIdentity,
  name: string,
  request: RequestFacts = {},
): Promise<void> {
  await deleteTenantSecret({ prisma: deps.prisma }, actor, name, request);
  await queuePush(deps, actor.tenantId);
}

async function queuePush(deps: Deps, tenantId: string): Promise<void> {
  try {
    await queueSecretsPush(deps, tenantId);
  } catch (error) {
    throw new AppError(
      'upstream_unavailable',
      'The change is saved, but its push to the box could not be queued; repeat the request to push it.',
      { cause: error },
    );
  }
}
