import { z } from 'zod';

export const WorkflowKindSchema = z.enum(['provision', 'suspend', 'resume', 'delete']);
export const WorkflowStatusSchema = z.enum(['running', 'succeeded', 'failed', 'canceled']);

export const ListWorkflowsQuerySchema = z
  .object({
    status: WorkflowStatusSchema.optional(),
    kind: WorkflowKindSchema.optional(),
    tenantId: z.string().uuid({ message: 'must be a UUID' }).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    before: z.string().datetime({ message: 'must be an ISO timestamp' }).optional(),
  })
  .strict();

export const WorkflowStepRecordSchema = z.object({
  name: z.string(),
  finishedAt: z.string(),
  attempts: z.number().int(),
  output: z.unknown(),
});

export const WorkflowSummarySchema = z.object({
  id: z.string(),
  kind: WorkflowKindSchema,
  key: z.string(),
  status: WorkflowStatusSchema,
  tenantId: z.string(),
  tenant: z.object({ slug: z.string(), status: z.string(), statusReason: z.string().nullable() }),
  boxId: z.string().nullable(),
  currentStep: z.string().nullable().describe('The step running now, or the one that failed'),
  error: z.string().nullable().describe('Why the workflow is parked (`<step>: <reason>`), or the last retried error'),
  attempts: z.number().int(),
  round: z.number().int().describe('0 for the first run; each operator retry starts a new round'),
  steps: z.array(WorkflowStepRecordSchema).describe('Steps that succeeded, with their outputs'),
  createdAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
  finishedAt: z.string().datetime().nullable(),
});

export const WorkflowDetailSchema = WorkflowSummarySchema.extend({
  jobs: z.array(
    z.object({
      id: z.string(),
      jobId: z.string(),
      name: z.string(),
      status: z.string(),
      attempts: z.number().int(),
      error: z.string().nullable(),
      workerId: z.string().nullable(),
      createdAt: z.string().datetime(),
      finishedAt: z.string().datetime().nullable(),
    }),
  ),
});

export const ListWorkflowsReplySchema = z.object({ workflows: z.array(WorkflowSummarySchema) });

export const StartTenantWorkflowBodySchema = z
  .object({
    kind: z.enum(['suspend', 'resume', 'delete']),
    tenantId: z.string().uuid({ message: 'must be a UUID' }),
  })
  .strict();

export const StartTenantWorkflowHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .min(8, { message: 'must be 8 to 255 characters' })
    .max(255, { message: 'must be 8 to 255 characters' })
    .optional(),
});

export const WorkflowStartedReplySchema = z.object({ workflowId: z.string(), created: z.boolean() });
export const WorkflowRetriedReplySchema = z.object({ workflowId: z.string(), round: z.number().int() });
