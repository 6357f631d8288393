import { z } from 'zod';
import { EmailSchema } from './common';

export const OperatorLoginBodySchema = z
  .object({
    email: EmailSchema,
    password: z.string().min(1, { message: 'is required' }).max(1_024),
  })
  .strict();

export const OperatorSessionReplySchema = z.object({
  token: z.string().describe('Bearer token; shown once. Send as `Authorization: Bearer <token>`.'),
  expiresAt: z.string().datetime(),
  operator: z.object({ id: z.string(), email: z.string(), role: z.enum(['owner', 'operator', 'viewer']) }),
});

export const JobStatusSchema = z.enum(['queued', 'running', 'retrying', 'succeeded', 'failed']);

export const JobRecordSchema = z.object({
  id: z.string(),
  queue: z.string(),
  name: z.string(),
  jobId: z.string(),
  status: JobStatusSchema,
  attempts: z.number().int(),
  maxAttempts: z.number().int().nullable(),
  error: z.string().nullable(),
  workerId: z.string().nullable(),
  tenantId: z.string().nullable(),
  boxId: z.string().nullable(),
  requestId: z.string().nullable().describe('The API request that caused this job (directly or through another job)'),
  output: z.unknown(),
  createdAt: z.string().datetime(),
  startedAt: z.string().datetime().nullable(),
  finishedAt: z.string().datetime().nullable(),
});

export const ListJobsQuerySchema = z
  .object({
    status: JobStatusSchema.optional(),
    name: z.string().max(128).optional(),
    requestId: z
      .string()
      .regex(/^[\w.-]{1,64}$/, { message: 'must be a request id (letters, digits, _ . -; at most 64)' })
      .optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    before: z.string().datetime({ message: 'must be an ISO timestamp' }).optional(),
  })
  .strict();

export const ListJobsReplySchema = z.object({ jobs: z.array(JobRecordSchema) });

export const EnqueueProbeBodySchema = z
  .object({
    label: z.string().trim().min(1).max(200),
    durationMs: z.number().int().min(0).max(600_000),
  })
  .strict();

export const EnqueuedReplySchema = z.object({ id: z.string(), jobId: z.string() });
