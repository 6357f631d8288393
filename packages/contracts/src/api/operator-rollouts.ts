import { z } from 'zod';

export const RolloutStatusSchema = z.enum([
  'pending',
  'running',
  'paused',
  'rolling_back',
  'succeeded',
  'halted',
  'canceled',
]);
/**
 * `offline`: unreachable when its turn came (batch -1 when already at the start): not deployed, not counted as
 * succeeded; it gets the promoted release when it returns (`caught_up`, or `superseded` when a newer one was
 * promoted meanwhile).
 */
export const RolloutBoxStatusSchema = z.enum([
  'pending',
  'deploying',
  'succeeded',
  'failed',
  'skipped',
  'reverted',
  'offline',
  'caught_up',
  'superseded',
]);

export const StartRolloutBodySchema = z
  .object({
    release: z.string().min(1).max(64).describe('The version of a published release'),
    canarySize: z.number().int().min(0).max(100).default(1).describe('Boxes deployed first, on their own'),
    batchSize: z.number().int().min(1).max(1_000).default(8).describe('Boxes per batch after the canary'),
    concurrency: z.number().int().min(1).max(64).default(8).describe('Boxes deployed at once inside a batch'),
    maxFailures: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(1)
      .describe('Failed boxes after the canary that stop the rollout and roll back every box it moved'),
    boxIds: z
      .array(z.string().uuid({ message: 'must be a UUID' }))
      .min(1)
      .max(10_000)
      .optional()
      .describe('Only these boxes (default: every ready box that does not run the release)'),
  })
  .strict();

export const RolloutSchema = z.object({
  id: z.string(),
  release: z.string(),
  status: RolloutStatusSchema,
  reason: z.string().nullable().describe('Why it stopped (threshold, canary, an operator abort)'),
  canarySize: z.number().int(),
  batchSize: z.number().int(),
  concurrency: z.number().int(),
  maxFailures: z.number().int(),
  currentBatch: z.number().int().describe('The batch being deployed; 0 is the canary'),
  batches: z.number().int(),
  totalBoxes: z.number().int(),
  succeededBoxes: z.number().int(),
  failedBoxes: z.number().int(),
  rolledBackBoxes: z.number().int(),
  /** Boxes unreachable when their turn came, still waiting to catch up. */
  offlineBoxes: z.number().int(),
  createdAt: z.string().datetime(),
  startedAt: z.string().datetime().nullable(),
  finishedAt: z.string().datetime().nullable(),
  updatedAt: z.string().datetime(),
});

export const RolloutBoxSchema = z.object({
  boxId: z.string(),
  boxName: z.string().nullable(),
  tenantId: z.string().nullable(),
  position: z.number().int(),
  batch: z.number().int(),
  status: RolloutBoxStatusSchema,
  deployId: z.string().nullable(),
  error: z.string().nullable(),
  startedAt: z.string().datetime().nullable(),
  finishedAt: z.string().datetime().nullable(),
});

export const RolloutDetailSchema = RolloutSchema.extend({ boxes: z.array(RolloutBoxSchema) });
export const ListRolloutsReplySchema = z.object({ rollouts: z.array(RolloutSchema) });
export const ListRolloutsQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(200).default(50) })
  .strict();
export const RolloutStartedReplySchema = z.object({
  id: z.string(),
  status: RolloutStatusSchema,
  totalBoxes: z.number().int(),
});
export const RolloutActionParamsSchema = z
  .object({
    id: z.string().uuid({ message: 'must be a UUID' }),
    action: z.enum(['pause', 'resume', 'abort']),
  })
  .strict();
export const RolloutActionReplySchema = z.object({ id: z.string(), status: RolloutStatusSchema });

export const ReleaseSchema = z.object({
  id: z.string(),
  version: z.string(),
  runtimeVersion: z.string(),
  nodeVersion: z.string().nullable().describe('The Node the release carries; null: the box runs its own'),
  sizeBytes: z.number().int(),
  fileCount: z.number().int(),
  notes: z.string().nullable(),
  current: z.boolean().describe('What new boxes get: the newest promoted release'),
  promotedAt: z.string().datetime().nullable(),
  withdrawnAt: z.string().datetime().nullable(),
  createdAt: z.string().datetime(),
});
export const ListReleasesReplySchema = z.object({ releases: z.array(ReleaseSchema) });

export const PublishReleaseBodySchema = z
  .object({
    notes: z.string().max(500).optional(),
    node: z
      .enum(['system', 'bundled'])
      .optional()
      .describe(
        "`bundled`: the release carries a Node LTS; `system`: boxes run it with their own Node >= 20. Default: the worker's configuration",
      ),
  })
  .strict();
export const PublishReleaseReplySchema = z.object({
  jobRecordId: z.string().describe('Follow the build with GET /v1/operator/jobs/:id'),
  jobId: z.string(),
});
