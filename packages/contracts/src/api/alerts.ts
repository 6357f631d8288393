import { z } from 'zod';

export const ALERT_STATUS_VALUES = ['open', 'acknowledged', 'resolved'] as const;
export const ALERT_SEVERITY_VALUES = ['info', 'warning', 'critical'] as const;

/**
 * Alert codes a tenant reads with `GET /v1/alerts` (alerts about its own agents). Others that carry its tenant id
 * (provisioning failures, host keys, box health) are the operators' to read: their messages may hold internal detail.
 */
export const TENANT_ALERT_CODES = [
  'watchdog_killed',
  // A webhook endpoint of theirs whose delivery failed every retry (issue 15).
  'webhook_delivery_failed',
  // Monitoring (issue 15), scoped to the tenant's own chains, steps, models and queue.
  'cost_drift_run',
  'cost_drift_day',
  'quality_check_pass_rate',
  'quality_retries',
  'quality_output_size',
  'model_latency',
  'model_errors',
  'prompt_drift',
  'watchdog_kills',
  'steps_stalled',
  'runs_queued',
] as const;

const CursorSchema = z
  .string()
  .max(400)
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be a nextCursor from a previous page' });

const PageShape = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The `nextCursor` of the previous page. */
  cursor: CursorSchema.optional(),
};

/** GET /v1/alerts: the calling workspace's alerts, newest first. */
export const ListTenantAlertsQuerySchema = z
  .object({ status: z.enum(ALERT_STATUS_VALUES).optional(), ...PageShape })
  .strict();

/** GET /v1/operator/alerts: every tenant's alerts (and the fleet's own), newest first. */
export const ListOperatorAlertsQuerySchema = z
  .object({
    status: z.enum(ALERT_STATUS_VALUES).optional(),
    tenantId: z.string().uuid({ message: 'must be a UUID' }).optional(),
    boxId: z.string().uuid({ message: 'must be a UUID' }).optional(),
    code: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/, { message: 'must be an alert code (lower case letters, digits and _)' })
      .optional(),
    ...PageShape,
  })
  .strict();

export const TenantAlertSchema = z.object({
  id: z.string(),
  boxId: z.string().nullable(),
  severity: z.enum(ALERT_SEVERITY_VALUES),
  code: z.string().describe('watchdog_killed, ...'),
  message: z.string(),
  /** For `watchdog_killed`: reason (idle or timeout), limit, step, chain, runId, runtimeRunId, attempt. */
  details: z.record(z.string(), z.unknown()),
  status: z.enum(ALERT_STATUS_VALUES),
  /** What it is about: tenantId, chainId, chainVersionId, step, model, boxId (absent: all). */
  scope: z.record(z.string(), z.string()),
  /** Monitoring alerts: why it fired (metric, baseline, current, threshold, windows, sample run ids). */
  evidence: z.array(z.record(z.string(), z.unknown())),
  /** How often the condition happened while this alert was open (it is one row per condition, not per kill). */
  occurrences: z.number().int(),
  createdAt: z.string().datetime(),
  lastSeenAt: z.string().datetime(),
  acknowledgedAt: z.string().datetime().nullable(),
  resolvedAt: z.string().datetime().nullable(),
});
export type TenantAlert = z.infer<typeof TenantAlertSchema>;

export const OperatorAlertSchema = TenantAlertSchema.extend({ tenantId: z.string().nullable() });
export type OperatorAlert = z.infer<typeof OperatorAlertSchema>;

export const ListTenantAlertsReplySchema = z.object({
  alerts: z.array(TenantAlertSchema),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});

export const ListOperatorAlertsReplySchema = z.object({
  alerts: z.array(OperatorAlertSchema),
  nextCursor: z.string().nullable(),
});

export const AlertParamsSchema = z.object({ id: z.string().uuid({ message: 'must be a UUID' }) });
