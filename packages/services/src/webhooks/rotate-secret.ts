import type { WebhookEndpointView } from '@paddock/contracts';
import { auditWebhookChange, type WebhookChange } from './endpoint-audit';
import {
  endpointView,
  lockEndpoint,
  newWebhookSecret,
  type WebhookDeps,
  type WebhookOwner,
  webhookSecretContext,
} from './endpoints';

/**
 * Gives an endpoint a new signing secret, returned once here (as at creation). Deliveries sign with the secret in
 * force when they are attempted, so a retry after the rotation carries the new signature; the old secret stops
 * working at once (a leaked one is why people rotate). Audited like every endpoint change, never with the secret.
 */
export async function rotateWebhookSecret(
  deps: WebhookDeps,
  owner: WebhookOwner,
  id: string,
  change: WebhookChange,
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  const secret = newWebhookSecret();
  return deps.prisma.$transaction(async (tx) => {
    const before = await lockEndpoint({ prisma: tx }, owner, id);
    const row = await tx.webhookEndpoint.update({
      where: { id: before.id },
      data: { secretEncrypted: deps.vault.encrypt(secret, webhookSecretContext(before.id)) },
    });
    const endpoint = endpointView(row);
    await auditWebhookChange({ prisma: tx }, owner, change, 'webhook.rotate_secret', id, {
      before: endpointView(before),
      after: endpoint,
    });
    return { endpoint, secret };
  });
}
