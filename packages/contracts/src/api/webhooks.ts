import { z } from 'zod';
import { ALERT_SEVERITY_VALUES } from './alerts';

/** POST /v1/webhooks, /v1/operator/webhooks. */
export const CreateWebhookEndpointBodySchema = z
  .object({
    url: z.string().min(1).max(2048),
    description: z.string().max(200).optional(),
    /** Alerts below this severity are not sent. */
    minSeverity: z.enum(ALERT_SEVERITY_VALUES).default('warning'),
    /** One digest a day of the alerts opened, instead of a delivery per alert. */
    digest: z.boolean().default(false),
  })
  .strict();

/** PATCH /v1/webhooks/:id; `enabled: true` re-enables an endpoint disabled after repeated failures. */
export const UpdateWebhookEndpointBodySchema = z
  .object({
    url: z.string().min(1).max(2048).optional(),
    description: z.string().max(200).optional(),
    minSeverity: z.enum(ALERT_SEVERITY_VALUES).optional(),
    digest: z.boolean().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

export const WebhookEndpointParamsSchema = z.object({ id: z.string().uuid({ message: 'must be a UUID' }) });

export const WebhookEndpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  minSeverity: z.enum(ALERT_SEVERITY_VALUES),
  digest: z.boolean(),
  enabled: z.boolean(),
  /** Why it was disabled (repeated failures, its owner), else null. */
  disabledReason: z.string().nullable(),
  consecutiveFailures: z.number().int(),
  createdAt: z.string().datetime(),
});
export type WebhookEndpointView = z.infer<typeof WebhookEndpointSchema>;

export const CreateWebhookEndpointReplySchema = z.object({
  endpoint: WebhookEndpointSchema,
  /** The signing secret, shown this once: keep it; Paddock stores it encrypted and never shows it again. */
  secret: z.string(),
});

export const ListWebhookEndpointsReplySchema = z.object({ endpoints: z.array(WebhookEndpointSchema) });

export const ListWebhookDeliveriesQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(200).default(50) })
  .strict();

export const WebhookDeliverySchema = z.object({
  id: z.string(),
  event: z.string(),
  alertId: z.string().nullable(),
  status: z.enum(['pending', 'delivered', 'failed', 'skipped']),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string().datetime(),
  lastAttemptAt: z.string().datetime().nullable(),
  deliveredAt: z.string().datetime().nullable(),
});

export const ListWebhookDeliveriesReplySchema = z.object({ deliveries: z.array(WebhookDeliverySchema) });
