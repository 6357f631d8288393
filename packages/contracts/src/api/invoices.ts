import { z } from 'zod';

const uuid = z.string().uuid({ message: 'must be a UUID' });
const period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, { message: 'must be a month, YYYY-MM' });
const cursor = z.string().max(200).optional();

export const InvoiceStatusSchema = z.enum(['draft', 'issued', 'paid', 'void']);
export const InvoiceKindSchema = z.enum(['invoice', 'credit_note']);

export const InvoiceLineSchema = z.object({
  kind: z.string().describe('plan_fee, usage, allowance, overage, box_time, credit'),
  description: z.string(),
  quantity: z.string().describe('A decimal integer (tokens, seconds, 1 for a fee)'),
  unit: z.string(),
  unitPriceMicros: z.string().describe('Per unit in 10^-6 of the currency, a decimal integer'),
  amountMinor: z.number().int(),
  amount: z.string().describe('amountMinor with the decimal point placed (12.34)'),
});

export const InvoiceSummarySchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  number: z.string(),
  kind: InvoiceKindSchema,
  status: InvoiceStatusSchema,
  currency: z.string(),
  period: z.string().describe('YYYY-MM'),
  periodStart: z.string().datetime(),
  periodEnd: z.string().datetime(),
  subtotalMinor: z.number().int(),
  taxMinor: z.number().int(),
  totalMinor: z.number().int(),
  total: z.string(),
  issuedAt: z.string().datetime().nullable(),
  dueAt: z.string().datetime().nullable(),
  paidAt: z.string().datetime().nullable(),
  voidedAt: z.string().datetime().nullable(),
  /** A credit note names the invoice it cancels; a replacement the voided invoice it replaces. */
  correctsInvoiceId: z.string().nullable(),
  replacesInvoiceId: z.string().nullable(),
  createdAt: z.string().datetime(),
});
export type InvoiceSummary = z.infer<typeof InvoiceSummarySchema>;

export const InvoiceDetailSchema = InvoiceSummarySchema.extend({
  lines: z.array(InvoiceLineSchema),
  /** Usage received in [usageFrom, usageThrough) for the period (later usage is on the next period's invoice). */
  usageFrom: z.string().datetime().nullable(),
  usageThrough: z.string().datetime().nullable(),
  voidReason: z.string().nullable(),
});
export type InvoiceDetail = z.infer<typeof InvoiceDetailSchema>;

export const InvoiceListReplySchema = z.object({
  invoices: z.array(InvoiceSummarySchema),
  nextCursor: z.string().nullable(),
});

export const TenantInvoicesQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor })
  .strict();

export const OperatorInvoicesQuerySchema = z
  .object({
    tenantId: uuid.optional(),
    status: InvoiceStatusSchema.optional(),
    period: period.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor,
  })
  .strict();

export const InvoiceParamsSchema = z.object({ id: uuid });

export const InvoiceDownloadQuerySchema = z
  .object({ format: z.enum(['json', 'csv', 'html']).default('json') })
  .strict();

export const VoidInvoiceBodySchema = z
  .object({
    reason: z.string().trim().min(1).max(2_000),
    /** Also draft a corrected invoice for the same month and usage, at today's prices and plan. */
    replace: z.boolean().default(false),
  })
  .strict();

export const VoidInvoiceReplySchema = z.object({
  invoice: InvoiceSummarySchema,
  creditNote: InvoiceSummarySchema.nullable(),
  replacement: InvoiceSummarySchema.nullable(),
});

export const CloseMonthBodySchema = z.object({ period }).strict();
export const CloseMonthReplySchema = z.object({ jobId: z.string(), recordId: z.string(), period: z.string() });

/** PUT /v1/operator/tenants/:id/plan: change plan now (prorated), or start a trial. */
export const ChangePlanBodySchema = z
  .object({
    plan: z.string().min(1).max(64),
    reason: z.string().trim().min(1).max(2_000),
    /** The new plan as a trial of `days` days, ending into `thenPlan` (a plan code) or, when null, a suspension. */
    trial: z
      .object({ days: z.number().int().min(1).max(365), thenPlan: z.string().min(1).max(64).nullable() })
      .strict()
      .optional(),
  })
  .strict();

export const SubscriptionSpanSchema = z.object({
  id: z.string(),
  plan: z.string(),
  status: z.string(),
  startedAt: z.string().datetime(),
  endedAt: z.string().datetime().nullable(),
  trialEndsAt: z.string().datetime().nullable(),
  afterTrialPlan: z.string().nullable(),
});

export const ChangePlanReplySchema = z.object({
  ended: SubscriptionSpanSchema.nullable(),
  started: SubscriptionSpanSchema,
});
