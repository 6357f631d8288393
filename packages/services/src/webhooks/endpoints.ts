import { randomBytes, randomUUID } from 'node:crypto';
import { AppError, type WebhookEndpointView } from '@paddock/contracts';
import type { PrismaClient, WebhookEndpoint } from '@paddock/db';
import type { Vault } from '@paddock/vault';
import { checkWebhookUrl, type WebhookTargetPolicy } from './url-guard';

/** Whose endpoints: a tenant's (`tenantId`), or the operators' (`tenantId: null`, every alert). */
export interface WebhookOwner {
  tenantId: string | null;
}

export interface WebhookDeps {
  prisma: PrismaClient;
  vault: Vault;
  policy: WebhookTargetPolicy;
}

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

/** Creates an endpoint with a fresh signing secret, returned once here and never again (stored encrypted). */
export async function createWebhookEndpoint(
  deps: WebhookDeps,
  owner: WebhookOwner,
  input: EndpointInput,
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  const url = checkWebhookUrl(input.url, deps.policy);
  const id = randomUUID();
  const secret = `whsec_${randomBytes(32).toString('base64url')}`;
  const row = await deps.prisma.$transaction(async (tx) => {
    const count = await tx.webhookEndpoint.count({ where: { tenantId: owner.tenantId } });
    if (count >= MAX_ENDPOINTS_PER_OWNER) {
      throw new AppError('plan_limit_reached', `At most ${MAX_ENDPOINTS_PER_OWNER} webhook endpoints.`, {
        details: [
          { limit: 'webhookEndpoints', current: count, maximum: MAX_ENDPOINTS_PER_OWNER, message: 'delete one first' },
        ],
      });
    }
    return tx.webhookEndpoint.create({
      data: {
        id,
        tenantId: owner.tenantId,
        url: url.toString(),
        secretEncrypted: deps.vault.encrypt(secret, webhookSecretContext(id)),
        description: input.description ?? null,
        minSeverity: input.minSeverity ?? 'warning',
        digest: input.digest ?? false,
      },
    });
  });
  return { endpoint: endpointView(row), secret };
}

export async function listWebhookEndpoints(prisma: PrismaClient, owner: WebhookOwner): Promise<WebhookEndpointView[]> {
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
): Promise<WebhookEndpointView> {
  const url = patch.url === undefined ? undefined : checkWebhookUrl(patch.url, deps.policy).toString();
  const enabled = patch.enabled;
  const { count } = await deps.prisma.webhookEndpoint.updateMany({
    where: { id, tenantId: owner.tenantId },
    data: {
      ...(url !== undefined ? { url } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.minSeverity !== undefined ? { minSeverity: patch.minSeverity } : {}),
      ...(patch.digest !== undefined ? { digest: patch.digest } : {}),
      ...(enabled === true ? { disabledAt: null, disabledReason: null, consecutiveFailures: 0 } : {}),
      ...(enabled === false ? { disabledAt: new Date(), disabledReason: 'disabled by its owner' } : {}),
    },
  });
  if (count === 0) throw notFound();
  return endpointView(await deps.prisma.webhookEndpoint.findFirstOrThrow({ where: { id, tenantId: owner.tenantId } }));
}

export async function deleteWebhookEndpoint(prisma: PrismaClient, owner: WebhookOwner, id: string): Promise<void> {
  const { count } = await prisma.webhookEndpoint.deleteMany({ where: { id, tenantId: owner.tenantId } });
  if (count === 0) throw notFound();
}

/** The endpoint's delivery log, newest first. */
export async function listWebhookDeliveries(prisma: PrismaClient, owner: WebhookOwner, id: string, limit: number) {
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

function endpointView(row: WebhookEndpoint): WebhookEndpointView {
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
