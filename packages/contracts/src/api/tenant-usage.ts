import { z } from 'zod';

const MAX_RANGE_DAYS = 366;

const InstantSchema = z.union([z.iso.datetime({ offset: true }), z.iso.date().transform((day) => `${day}T00:00:00Z`)], {
  error: 'must be an ISO date (2025-01-31) or timestamp (2025-01-31T12:00:00Z)',
});

export const USAGE_GROUPINGS = ['day', 'chain', 'step', 'model'] as const;

export const UsageQuerySchema = z
  .object({
    /** Inclusive start; defaults to 30 days before `to`. */
    from: InstantSchema.optional(),
    /** Exclusive end; defaults to now. */
    to: InstantSchema.optional(),
    groupBy: z.enum(USAGE_GROUPINGS).default('day'),
  })
  .strict()
  .transform((query, ctx) => {
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * 86_400_000);
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
    if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: `the period may span at most ${MAX_RANGE_DAYS} days` });
    }
    return { from, to, groupBy: query.groupBy };
  });
export type UsageQuery = z.output<typeof UsageQuerySchema>;

const UsageFiguresShape = {
  tokensIn: z.number().int(),
  tokensOut: z.number().int(),
  /** Model cost in minor units of `currency` (cents), rounded half up once per line. */
  costMinor: z.number().int(),
  /** The exact model cost in micro-units of `currency` (a decimal string: it can exceed 2^53). */
  costMicros: z.string(),
  /** How many usage records (model calls reported by the box) the line sums. */
  records: z.number().int(),
};

export const UsageGroupSchema = z.object({
  /** UTC day (`2025-01-31`), chain name, `chain/step`, or model, per `groupBy`; null where the box did not say. */
  key: z.string().nullable(),
  chain: z.string().nullable().optional(),
  step: z.string().nullable().optional(),
  ...UsageFiguresShape,
});

export const UsageChargeSchema = z.object({
  kind: z.string(),
  currency: z.string(),
  amountMinor: z.number().int(),
  amountMicros: z.string(),
  entries: z.number().int(),
});

export const UsageReplySchema = z.object({
  from: z.string().datetime(),
  to: z.string().datetime(),
  groupBy: z.enum(USAGE_GROUPINGS),
  currency: z.string(),
  groups: z.array(UsageGroupSchema),
  totals: z.object(UsageFiguresShape),
  /** Costs attributed to the tenant in the period (model usage, box time, ...), by kind and currency. */
  charges: z.array(UsageChargeSchema),
});
