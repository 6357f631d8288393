import { z } from 'zod';

const MAX_RANGE_DAYS = 366;
const InstantSchema = z.union([z.iso.datetime({ offset: true }), z.iso.date().transform((day) => `${day}T00:00:00Z`)], {
  error: 'must be an ISO date (2025-01-31) or timestamp (2025-01-31T12:00:00Z)',
});

export const COST_GROUPINGS = ['day', 'chain', 'chainVersion', 'step', 'model', 'box'] as const;

/** A period [from, to): defaults to the 30 days before now; at most a year. */
const periodShape = { from: InstantSchema.optional(), to: InstantSchema.optional() };
function period(query: { from?: string | undefined; to?: string | undefined }, ctx: z.RefinementCtx) {
  const to = query.to ? new Date(query.to) : new Date();
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * 86_400_000);
  if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
    ctx.addIssue({ code: 'custom', path: ['from'], message: `the period may span at most ${MAX_RANGE_DAYS} days` });
  }
  return { from, to };
}

/** GET /v1/costs (the tenant's own) and GET /v1/operator/costs (every tenant's). */
export const CostsQuerySchema = z
  .object({ ...periodShape, groupBy: z.enum(COST_GROUPINGS).default('day') })
  .strict()
  .transform((query, ctx) => ({ ...period(query, ctx), groupBy: query.groupBy }));

export const CostGroupSchema = z.object({
  /** UTC day, chain, `chain@version`, `chain/step`, model or box id, per `groupBy`; null where unknown. */
  key: z.string().nullable(),
  currency: z.string(),
  tokensIn: z.number().int(),
  tokensOut: z.number().int(),
  /** The control plane's charge (micro-units, decimal string): the exact sum rounded once. */
  chargedMicros: z.string(),
  /** The same in minor units (cents), rounded once from the exact sum. */
  chargedMinor: z.number().int(),
  /** What the boxes reported the usage cost: shown beside the charge, never billed. */
  reportedMicros: z.string(),
  events: z.number().int(),
  /** Usage on a model with no price yet (priced later, when a price covering it is added). */
  unpricedEvents: z.number().int(),
});

export const BoxTimeGroupSchema = z.object({
  key: z.string(),
  currency: z.string(),
  hours: z.number(),
  chargedMicros: z.string(),
  chargedMinor: z.number().int(),
});

export const CostsReplySchema = z.object({
  from: z.string().datetime(),
  to: z.string().datetime(),
  groupBy: z.enum(COST_GROUPINGS),
  usage: z.array(CostGroupSchema),
  /** Box time charged, by box (groupBy=box) or by UTC day (otherwise). */
  boxTime: z.array(BoxTimeGroupSchema),
});

/** GET /v1/operator/costs/top-spenders */
export const TopSpendersQuerySchema = z
  .object({ ...periodShape, limit: z.coerce.number().int().min(1).max(200).default(20) })
  .strict()
  .transform((query, ctx) => ({ ...period(query, ctx), limit: query.limit }));

export const TopSpendersReplySchema = z.object({
  from: z.string().datetime(),
  to: z.string().datetime(),
  tenants: z.array(
    z.object({
      tenantId: z.string(),
      slug: z.string(),
      currency: z.string(),
      usageChargedMicros: z.string(),
      /** What the model calls cost Paddock, as the boxes reported them. */
      providerCostMicros: z.string(),
      /** usageCharged - providerCost. */
      marginMicros: z.string(),
      boxTimeChargedMicros: z.string(),
      totalChargedMinor: z.number().int(),
      events: z.number().int(),
      unpricedEvents: z.number().int(),
    }),
  ),
});
