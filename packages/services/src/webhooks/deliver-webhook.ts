import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import type { Vault } from '@paddock/vault';
import { raiseAlert, resolveAlerts } from '../alerts/raise-alert';
import { webhookSecretContext } from './endpoints';
import { postWebhook } from './post-webhook';
import type { WebhookTargetPolicy } from './url-guard';

/** Deliveries that failed every retry, in a row, before the endpoint is disabled (a success starts over). */
export const DISABLE_AFTER_FAILED_DELIVERIES = 5;

/** One open alert per endpoint whose deliveries fail every retry, resolved by its next delivered one. */
export function failedDeliveryKey(endpointId: string): string {
  return `webhook_failed:${endpointId}`;
}

export interface DeliverDeps {
  prisma: PrismaClient;
  vault: Vault;
  policy: WebhookTargetPolicy;
}

/**
 * One attempt of one delivery (the `webhooks.deliver` job; BullMQ retries it with exponential backoff). Every attempt
 * is written to the delivery row; a failed attempt throws so the queue retries it, and the last failed attempt
 * marks the delivery failed and counts against the endpoint, which is disabled after repeated failed deliveries.
 * The body sent is the stored payload plus the delivery id (receivers dedupe retries by it).
 */
export async function deliverWebhook(
  deps: DeliverDeps,
  payload: { deliveryId: string },
  context: { attempt: number; finalAttempt: boolean },
): Promise<{ status: string; statusCode: number | null }> {
  const delivery = await deps.prisma.webhookDelivery.findUnique({
    where: { id: payload.deliveryId },
    include: { endpoint: true },
  });
  if (!delivery) return { status: 'gone', statusCode: null };
  if (delivery.status !== 'pending') return { status: delivery.status, statusCode: delivery.lastStatusCode };
  const endpoint = delivery.endpoint;
  if (endpoint.disabledAt) {
    await deps.prisma.webhookDelivery.update({
      where: { id: delivery.id },
      data: { status: 'skipped', lastError: `endpoint disabled: ${endpoint.disabledReason ?? ''}`.slice(0, 500) },
    });
    return { status: 'skipped', statusCode: null };
  }
  const secret = deps.vault.decrypt(endpoint.secretEncrypted, webhookSecretContext(endpoint.id));
  const body = JSON.stringify({
    id: delivery.id,
    createdAt: delivery.createdAt.toISOString(),
    ...(delivery.payload as object),
  });
  const result = await postWebhook(new URL(endpoint.url), secret, body, deps.policy);
  const now = new Date();
  // The attempt's own log row (once per attempt number: a stalled job run again does not log it twice).
  const logged = deps.prisma.webhookDeliveryAttempt.createMany({
    data: [
      {
        deliveryId: delivery.id,
        attempt: context.attempt,
        ok: result.ok,
        statusCode: result.statusCode,
        error: result.ok ? null : (result.error ?? 'no answer').slice(0, 500),
        attemptedAt: now,
      },
    ],
    skipDuplicates: true,
  });
  if (result.ok) {
    await deps.prisma.$transaction([
      logged,
      deps.prisma.webhookDelivery.update({
        where: { id: delivery.id },
        data: {
          status: 'delivered',
          attempts: { increment: 1 },
          lastStatusCode: result.statusCode,
          lastError: null,
          lastAttemptAt: now,
          deliveredAt: now,
        },
      }),
      deps.prisma.webhookEndpoint.update({ where: { id: endpoint.id }, data: { consecutiveFailures: 0 } }),
    ]);
    // The endpoint answers again: its failed-delivery alert is over.
    await resolveAlerts({ prisma: deps.prisma }, failedDeliveryKey(endpoint.id));
    return { status: 'delivered', statusCode: result.statusCode };
  }
  await deps.prisma.$transaction([
    logged,
    deps.prisma.webhookDelivery.update({
      where: { id: delivery.id },
      data: {
        status: context.finalAttempt ? 'failed' : 'pending',
        attempts: { increment: 1 },
        lastStatusCode: result.statusCode,
        lastError: result.error,
        lastAttemptAt: now,
      },
    }),
  ]);
  if (context.finalAttempt) {
    // Someone must hear that alerts stopped arriving: the endpoint's owner (a tenant's endpoint) and operators.
    await raiseAlert(
      { prisma: deps.prisma },
      {
        tenantId: endpoint.tenantId,
        severity: 'warning',
        code: 'webhook_delivery_failed',
        message: `A webhook delivery to ${endpoint.url} failed every retry: ${result.error ?? 'no answer'}`.slice(
          0,
          1000,
        ),
        details: { endpointId: endpoint.id, deliveryId: delivery.id, lastStatusCode: result.statusCode },
        dedupeKey: failedDeliveryKey(endpoint.id),
      },
    );
    // One statement: concurrent final failures of one endpoint each count, and the one that reaches the limit disables.
    await deps.prisma.$executeRaw`
      UPDATE webhook_endpoints
         SET consecutive_failures = consecutive_failures + 1, updated_at = now(),
             disabled_at = CASE WHEN consecutive_failures + 1 >= ${DISABLE_AFTER_FAILED_DELIVERIES} AND disabled_at IS NULL
                                THEN now() ELSE disabled_at END,
             disabled_reason = CASE WHEN consecutive_failures + 1 >= ${DISABLE_AFTER_FAILED_DELIVERIES} AND disabled_at IS NULL
                                    THEN ${`${DISABLE_AFTER_FAILED_DELIVERIES} deliveries in a row failed every retry; last: ${result.error ?? ''}`.slice(0, 500)}
                                    ELSE disabled_reason END
       WHERE id = ${endpoint.id}::uuid`;
  }
  throw new AppError('upstream_unavailable', `webhook delivery ${delivery.id} failed: ${result.error ?? 'no answer'}`);
}
