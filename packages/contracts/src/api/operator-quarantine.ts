import { z } from 'zod';

/** GET /v1/operator/quarantine: events boxes sent that the collector refused to store, newest first. */
export const ListQuarantineQuerySchema = z
  .object({
    tenantId: z.string().uuid({ message: 'must be a UUID' }).optional(),
    boxId: z.string().uuid({ message: 'must be a UUID' }).optional(),
    reason: z
      .string()
      .regex(/^[a-z_]{1,64}$/, { message: 'must be a reason code (lower case letters and _)' })
      .optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    /** The `nextCursor` of the previous page. */
    cursor: z
      .string()
      .regex(/^[1-9][0-9]{0,18}$/, { message: 'must be a nextCursor from a previous page' })
      .optional(),
  })
  .strict();

export const QuarantinedEventSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  boxId: z.string(),
  /** The event's run and seq where the box said them (null when its line could not be read that far). */
  runtimeRunId: z.string().nullable(),
  seq: z.string().nullable().describe('A decimal integer (it may be beyond what a JSON number holds exactly)'),
  cursor: z.string().nullable(),
  reason: z.string().describe('line_too_long, invalid_event, event_too_large, seq_out_of_range, foreign_run, ...'),
  detail: z.string(),
  bytes: z.string().describe('Size of what the box sent for it, a decimal integer'),
  /** At most 2 KiB of what the box sent. */
  excerpt: z.string(),
  createdAt: z.string().datetime(),
});
export type QuarantinedEvent = z.infer<typeof QuarantinedEventSchema>;

export const ListQuarantineReplySchema = z.object({
  events: z.array(QuarantinedEventSchema),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});
