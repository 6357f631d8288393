import type { WebhookEndpointView } from '@paddock/contracts';
import type { Prisma } from '@paddock/db';
import { type AuditActor, type AuditWriter, type RequestFacts, writeAudit } from '../audit/audit-entry';

/** Who changes an endpoint and from where: its audit row's actor and request facts. */
export interface WebhookChange {
  actor: AuditActor;
  request?: RequestFacts | undefined;
}

export type WebhookAction = 'webhook.create' | 'webhook.update' | 'webhook.rotate_secret' | 'webhook.delete';

/**
 * The audit row of an endpoint change, through the one audit helper, in the transaction that makes the change. The
 * endpoint's fields before and after (the view: never the secret, not even encrypted); an operators' endpoint
 * (`tenantId: null`) is logged without a tenant.
 */
export function auditWebhookChange(
  { prisma: db }: { prisma: AuditWriter },
  owner: { tenantId: string | null },
  change: WebhookChange,
  action: WebhookAction,
  endpointId: string,
  states: { before?: WebhookEndpointView | null; after?: WebhookEndpointView | null },
) {
  return writeAudit(
    { prisma: db },
    {
      actor: change.actor,
      action,
      tenantId: owner.tenantId,
      target: { type: 'webhook_endpoint', id: endpointId },
      before: (states.before ?? null) as Prisma.InputJsonValue | null,
      after: (states.after ?? null) as Prisma.InputJsonValue | null,
      request: change.request,
    },
  );
}
