import { randomBytes, randomUUID } from 'node:crypto';
import { AppError, type WebhookEndpointView } from '@paddock/contracts';
import type { Prisma, PrismaClient, WebhookEndpoint } from '@paddock/db';
import type { Vault } from '@paddock/vault';
import { auditWebhookChange, type WebhookChange } from './endpoint-audit';
import { checkWebhookUrl, type WebhookTargetPolicy } from './url-guard';
import type { ServiceClients } from '../clients';

/** Whose endpoints: a tenant's (`tenantId`), or the operators' (`tenantId: null`, every alert). */
export interface WebhookOwner {
  tenantId: string | null;
}

export interface WebhookDeps {
  prisma: PrismaClient;
  vault: Vault;
  policy: WebhookTargetPolicy;
}

type Tx = Prisma.TransactionClient;

/** Endpoints one owner may have: enough for a few teams' channels, not a fan-out amplifier. */
export const MAX_ENDPOINTS_PER_OWNER = 10;

/** The vault context binds a secret's ciphertext to its endpoint: copied onto another row it does not decrypt. */
export function webhookSecretContext(endpointId: string): string {
  return `webhook:${endpointId}`;
}

export interface EndpointInput {
  url: string;
  description?: string | undefined;
  minSeverity?: 'info' | 'warning' | 'critical' | undefined;
  digest?: boolean | undefined;
}

/** A fresh signing secret (shown once, stored as vault ciphertext bound to the endpoint). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** Creates an endpoint with a fresh signing secret, returned once here and never again (stored encrypted). */
export async function createWebhookEndpoint(
  deps: WebhookDeps,
  owner: WebhookOwner,
  input: EndpointInput,
  change: WebhookChange,
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  const url = checkWebhookUrl(input.url, deps.policy);
  const id = randomUUID();
  const secret = newWebhookSecret();
  const view = await deps.prisma.$transaction(async (tx) => {
    const count = await tx.webhookEndpoint.count({ where: { tenantId: owner.tenantId } });
    if (count >= MAX_ENDPOINTS_PER_OWNER) {
      throw new AppError('plan_limit_reached', `At most ${MAX_ENDPOINTS_PER_OWNER} webhook endpoints.`, {
        details: [
          { limit: 'webhookEndpoints', current: count, maximum: MAX_ENDPOINTS_PER_OWNER, message: 'delete one first' },
        ],
      });
    }
    const created = endpointView(
      await tx.webhookEndpoint.create({
        data: {
          id,
          tenantId: owner.tenantId,
          url: url.toString(),
          secretEncrypted: deps.vault.encrypt(secret, webhookSecretContext(id)),
          description: input.description ?? null,
          minSeverity: input.minSeverity ?? 'warning',
          digest: input.digest ?? false,
        },
      }),
    );
    await auditWebhookChange({ prisma: tx }, owner, change, 'webhook.create', id, { after: created });
    return created;
  });
  return { endpoint: view, secret };
}

export async function listWebhookEndpoints(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  owner: WebhookOwner,
): Promise<WebhookEndpointView[]> {
  const rows = await prisma.webhookEndpoint.findMany({
    where: { tenantId: owner.tenantId },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map(endpointView);
}

/** Changes an endpoint; `enabled: true` re-enables one disabled after failures (its failure count starts over). */
export async function updateWebhookEndpoint(
  deps: WebhookDeps,
  owner: WebhookOwner,
  id: string,
  patch: Partial<EndpointInput> & { enabled?: boolean | undefined },
  change: WebhookChange,
): Promise<WebhookEndpointView> {
  const url = patch.url === undefined ? undefined : checkWebhookUrl(patch.url, deps.policy).toString();
  const enabled = patch.enabled;
  return deps.prisma.$transaction(async (tx) => {
    const before = await lockEndpoint({ prisma: tx }, owner, id);
    const row = await tx.webhookEndpoint.update({
      where: { id: before.id },
      data: {
        ...(url !== undefined ? { url } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.minSeverity !== undefined ? { minSeverity: patch.minSeverity } : {}),
        ...(patch.digest !== undefined ? { digest: patch.digest } : {}),
        ...(enabled === true ? { disabledAt: null, disabledReason: null, consecutiveFailures: 0 } : {}),
        ...(enabled === false ? { disabledAt: new Date(), disabledReason: 'disabled by its owner' } : {}),
      },
    });
    const after = endpointView(row);
    await auditWebhookChange({ prisma: tx }, owner, change, 'webhook.update', id, {
      before: endpointView(before),
      after,
    });
    return after;
  });
}

export async function deleteWebhookEndpoint(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  owner: WebhookOwner,
  id: string,
  change: WebhookChange,
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const before = await lockEndpoint({ prisma: tx }, owner, id);
    await tx.webhookEndpoint.delete({ where: { id: before.id } });
    await auditWebhookChange({ prisma: tx }, owner, change, 'webhook.delete', id, { before: endpointView(before) });
  });
}

/**
 * The owner's endpoint, its row locked for the rest of the transaction (so the audit's "before" is what the change
 * replaced, not a concurrent change's), or a 404: the owner is in the where, so another owner's endpoint is not found.
 */
export async function lockEndpoint(
  { prisma: tx }: { prisma: Tx },
  owner: WebhookOwner,
  id: string,
): Promise<WebhookEndpoint> {
  const locked = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id::text AS id FROM webhook_endpoints
     WHERE id = ${id}::uuid AND tenant_id IS NOT DISTINCT FROM ${owner.tenantId}::uuid
       FOR UPDATE`;
  if (locked.length === 0) throw notFound();
  return tx.webhookEndpoint.findUniqueOrThrow({ where: { id } });
}

/** The endpoint's delivery log, newest first. */
export async function listWebhookDeliveries(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  owner: WebhookOwner,
  id: string,
  limit: number,
) {
  const endpoint = await prisma.webhookEndpoint.findFirst({ where: { id, tenantId: owner.tenantId } });
  if (!endpoint) throw notFound();
  const rows = await prisma.webhookDelivery.findMany({
    where: { endpointId: endpoint.id },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
  return rows.map((row) => ({
    id: row.id,
    event: row.event,
    alertId: row.alertId,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
  }));
}

export function endpointView(row: WebhookEndpoint): WebhookEndpointView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    minSeverity: row.minSeverity,
    digest: row.digest,
    enabled: row.disabledAt === null,
    disabledReason: row.disabledReason,
    consecutiveFailures: row.consecutiveFailures,
    createdAt: row.createdAt.toISOString(),
  };
}

function notFound(): AppError {
  return new AppError('not_found', 'No such webhook endpoint.');
}
