import { z } from 'zod';
import { STEP_NAME_PATTERN } from '../chain-schema';

// `lost`: the box's runtime daemon was not seen for a set time; not final (the box coming back moves it on).
export const RUN_STATUS_VALUES = [
  'queued',
  'running',
  'waiting_decision',
  'succeeded',
  'failed',
  'canceled',
  'lost',
] as const;
export const RunStatusFilterSchema = z.enum(RUN_STATUS_VALUES);

const CursorSchema = z
  .string()
  .max(400)
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be a nextCursor from a previous page' });

const ChainNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'must be a chain name' });

export const StepNameParamSchema = z
  .string()
  .regex(STEP_NAME_PATTERN, { message: 'must be a step name (letters, digits, "-" or "_")' });

/** Input keys become file names on the box (`inputs/<key>`). */
const InputKeySchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be an input key' });
export const MAX_RUN_INPUT_BYTES = 262_144;

export const StartRunBodySchema = z
  .object({
    /** The chain by name (its active version, else its newest) ... */
    chain: ChainNameSchema.optional(),
    /** ... or one exact chain version by id. */
    chainVersionId: z.string().uuid({ message: 'must be a UUID' }).optional(),
    inputs: z
      .record(InputKeySchema, z.string().max(MAX_RUN_INPUT_BYTES))
      .refine((inputs) => Object.keys(inputs).length <= 100, { message: 'must hold at most 100 inputs' })
      .default({}),
  })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.chain === undefined) === (body.chainVersionId === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['chain'], message: 'give exactly one of chain or chainVersionId' });
    }
  });
export type StartRunBody = z.output<typeof StartRunBodySchema>;

/**
 * The client's retry handle for starting a run: the same key and body within 24 hours answer the same run instead
 * of starting another. Scoped to the workspace: another workspace's keys never collide with it.
 */
export const RunIdempotencyKeySchema = z
  .string()
  .min(8, { message: 'must be 8 to 255 characters (a UUID is a good key)' })
  .max(255, { message: 'must be 8 to 255 characters (a UUID is a good key)' })
  .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' })
  .describe('Optional. A fresh key (a UUID) per run, repeated when retrying: at most one run per key for 24 hours.');

// Loose: fastify replaces request.headers with the validated object, which must keep every other header.
export const StartRunHeadersSchema = z.looseObject({ 'idempotency-key': RunIdempotencyKeySchema.optional() });

export const RunParamsSchema = z.object({ id: z.string().uuid({ message: 'must be a UUID' }) });
export const StepOutputParamsSchema = RunParamsSchema.extend({ step: StepNameParamSchema });

export const ListRunsQuerySchema = z
  .object({
    status: RunStatusFilterSchema.optional(),
    chain: ChainNameSchema.optional(),
    /** Runs created at or after this instant. */
    since: z.iso.datetime({ offset: true, error: 'must be an ISO timestamp (2025-01-31T12:00:00Z)' }).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: CursorSchema.optional(),
  })
  .strict();
export type ListRunsQuery = z.output<typeof ListRunsQuerySchema>;

const UsageShape = {
  tokensIn: z.number().int(),
  tokensOut: z.number().int(),
  /** Model cost in micro-units of USD (a decimal string: exact, and it can exceed 2^53). */
  costMicros: z.string(),
  /** The same in cents, rounded half up. */
  costMinor: z.number().int(),
};

export const RunSummarySchema = z.object({
  id: z.string(),
  chain: z.object({ id: z.string(), name: z.string() }),
  chainVersionId: z.string().nullable(),
  status: RunStatusFilterSchema,
  error: z.string().nullable(),
  ...UsageShape,
  durationMs: z.number().int().nullable(),
  replayOfRunId: z.string().nullable(),
  replayFromStep: z.string().nullable(),
  createdAt: z.string().datetime(),
  startedAt: z.string().datetime().nullable(),
  finishedAt: z.string().datetime().nullable(),
});

export const RunStepStatusSchema = z.enum([
  'pending',
  'running',
  'waiting_decision',
  'succeeded',
  'failed',
  'skipped',
  'canceled',
]);

/**
 * One execution of a step (a watchdog retry, a request_changes loop, a replay or a resume is a new one), numbered as
 * the box numbers it: its files are `steps/<step>/attempts/<attempt>/` on the box.
 */
export const RunStepAttemptSchema = z.object({
  attempt: z.number().int(),
  /** The step's current attempt: its highest number (a `pending` one is the attempt the box starts next). */
  current: z.boolean(),
  status: RunStepStatusSchema,
  model: z.string().nullable(),
  ...UsageShape,
  durationMs: z.number().int().nullable(),
  exitCode: z.number().int().nullable(),
  error: z.string().nullable(),
  startedAt: z.string().datetime().nullable(),
  finishedAt: z.string().datetime().nullable(),
});

/**
 * A step of a run: its status, timing, exit code and error are its current attempt's; its tokens and cost are the sum
 * of all its attempts (so a run's totals are the sum of its steps, and of its attempts).
 */
export const RunStepSchema = RunStepAttemptSchema.omit({ current: true }).extend({
  name: z.string(),
  position: z.number().int(),
  /** Every attempt, oldest first; exactly one is `current`. */
  attempts: z.array(RunStepAttemptSchema),
});

export const RunDetailSchema = RunSummarySchema.extend({
  inputs: z.record(z.string(), z.unknown()),
  /** Every step in chain order, each with its attempts. */
  steps: z.array(RunStepSchema),
  /** Decisions of this run still waiting for a person (ids for POST /v1/decisions/:id). */
  pendingDecisionIds: z.array(z.string()),
});

export const ListRunsReplySchema = z.object({ runs: z.array(RunSummarySchema), nextCursor: z.string().nullable() });

export const RunEventsQuerySchema = z
  .object({
    /** Events with a seq above this one (the last `seq` of the previous page). */
    after: z.coerce.number().int().min(0).max(2_147_483_647).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
    /** `true`: stay open and push events as they arrive (Server-Sent Events), until the run ends. */
    follow: z.enum(['true', 'false']).default('false'),
  })
  .strict();

export const RunEventReplySchema = z.object({
  seq: z.number().int(),
  step: z.string(),
  kind: z.string(),
  /** The event as the box wrote it. */
  event: z.record(z.string(), z.unknown()),
  occurredAt: z.string().datetime(),
});

export const RunEventsReplySchema = z.object({
  events: z.array(RunEventReplySchema),
  /** Pass as `after` for the next page; null when this page reached the newest stored event. */
  nextAfter: z.number().int().nullable(),
});

export const MAX_STEP_OUTPUT_BYTES = 8 * 1024 * 1024;
export const StepOutputQuerySchema = z
  .object({
    /** At most this many bytes from the start of the output. */
    maxBytes: z.coerce.number().int().min(1).max(MAX_STEP_OUTPUT_BYTES).default(1_048_576),
    /** One attempt's output (see the run's `steps[].attempts`); without it, the step's current attempt's. */
    attempt: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
  })
  .strict();

export const ReplayRunBodySchema = z.object({ from: StepNameParamSchema }).strict();

export const RunActionReplySchema = z.object({
  run: RunSummarySchema,
  /** What the box recorded (`replayed`, `cancelled`). */
  event: z.object({ seq: z.number().int(), kind: z.string(), step: z.string() }),
});
