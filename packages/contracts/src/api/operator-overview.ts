import { z } from 'zod';

const CountsSchema = z.record(z.string(), z.number().int());

/** This calendar month's (UTC) spend, per currency (money as in `costs.ts`: micros as decimal strings). */
export const OperatorMonthSpendSchema = z.object({
  from: z.string().datetime(),
  to: z.string().datetime(),
  currencies: z.array(
    z.object({
      currency: z.string(),
      /** Model usage and box time charged, rounded once to minor units (cents). */
      totalChargedMinor: z.number().int(),
      usageChargedMicros: z.string(),
      boxTimeChargedMicros: z.string(),
      /** What the model calls cost Paddock, as the boxes reported them. */
      providerCostMicros: z.string(),
      /** usageCharged - providerCost: the margin on model usage (box time has no modelled provider cost). */
      marginMicros: z.string(),
    }),
  ),
});
export type OperatorMonthSpend = z.infer<typeof OperatorMonthSpendSchema>;

/** GET /v1/operator/overview: the operator console's first page, counted in SQL (one round trip per figure). */
export const OperatorOverviewReplySchema = z.object({
  tenantsByStatus: CountsSchema.describe('Tenant count per status (deleted included)'),
  boxesByStatus: CountsSchema.describe('Box count per status, destroyed boxes left out'),
  openAlertsBySeverity: CountsSchema.describe('Alerts neither acknowledged nor resolved, per severity'),
  spendThisMonth: OperatorMonthSpendSchema,
  rolloutsInProgress: z.array(
    z.object({
      id: z.string(),
      status: z.string(),
      releaseVersion: z.string(),
      totalBoxes: z.number().int(),
      succeededBoxes: z.number().int(),
      failedBoxes: z.number().int(),
      createdAt: z.string().datetime(),
    }),
  ),
});
export type OperatorOverviewReply = z.infer<typeof OperatorOverviewReplySchema>;
