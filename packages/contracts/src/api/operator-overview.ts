import { z } from 'zod';

const CountsSchema = z.record(z.string(), z.number().int());

/** GET /v1/operator/overview: the operator console's first page, counted in SQL (one round trip per figure). */
export const OperatorOverviewReplySchema = z.object({
  tenantsByStatus: CountsSchema.describe('Tenant count per status (deleted included)'),
  boxesByStatus: CountsSchema.describe('Box count per status, destroyed boxes left out'),
  openAlertsBySeverity: CountsSchema.describe('Alerts neither acknowledged nor resolved, per severity'),
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
