import { z } from 'zod';

export const DECISION_STATUSES = ['pending', 'approved', 'rejected', 'changes_requested', 'canceled'] as const;
export const DECISION_CHOICES = ['approve', 'reject', 'request_changes'] as const;
export const MAX_DECISION_OUTPUT_BYTES = 65_536;

export const ListDecisionsQuerySchema = z
  .object({
    status: z.enum(DECISION_STATUSES).default('pending'),
    runId: z.string().uuid({ message: 'must be a UUID' }).optional(),
    /** Bytes of the output to judge included per decision (read from the box); 0 leaves it out. */
    outputBytes: z.coerce.number().int().min(0).max(MAX_DECISION_OUTPUT_BYTES).default(4096),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z
      .string()
      .max(400)
      .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be a nextCursor from a previous page' })
      .optional(),
  })
  .strict();
export type ListDecisionsQuery = z.output<typeof ListDecisionsQuerySchema>;

export const DecisionParamsSchema = z.object({ id: z.string().uuid({ message: 'must be a UUID' }) });

export const DecisionOutputSchema = z.object({
  /** The step whose output the decision shows. */
  step: z.string(),
  text: z.string(),
  /** The output's whole size on the box. */
  bytes: z.number().int(),
  truncated: z.boolean(),
});

export const DecisionReplySchema = z.object({
  id: z.string(),
  runId: z.string(),
  step: z.string(),
  status: z.enum(DECISION_STATUSES),
  prompt: z.string().nullable(),
  options: z.array(z.string()),
  /** Who may answer (member emails, from the chain's `approvers`); null: any member but a viewer. */
  approvers: z.array(z.string()).nullable(),
  deadline: z.string().nullable(),
  note: z.string().nullable(),
  decidedBy: z
    .object({
      apiKeyId: z.string().nullable(),
      /** The member who answered (a session's user, or the person an API key belongs to). */
      userId: z.string().nullable(),
      email: z.string().nullable(),
      label: z.string().nullable(),
    })
    .nullable(),
  decidedAt: z.string().datetime().nullable(),
  /** When the box recorded the decision (its run went on from there). */
  deliveredAt: z.string().datetime().nullable(),
  createdAt: z.string().datetime(),
  /** The output to judge; null when the decision shows none, or when it was not asked for. */
  output: DecisionOutputSchema.nullable(),
  /** Why `output` is missing although the decision has one (`box_unavailable`, `not_found`). */
  outputError: z.string().nullable(),
});

export const ListDecisionsReplySchema = z.object({
  decisions: z.array(DecisionReplySchema),
  nextCursor: z.string().nullable(),
});

export const DecideBodySchema = z
  .object({
    choice: z.enum(DECISION_CHOICES),
    note: z.string().trim().max(4000).optional(),
  })
  .strict();
export type DecideBody = z.output<typeof DecideBodySchema>;
