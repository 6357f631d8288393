import { z } from 'zod';
import { BoxCapsSchema } from './box-caps';
import { ChainErrorSchema } from './chain-parse';
import { DecisionRecordSchema, RunEventSchema, RunStatusValueSchema, StepStatusSchema } from './events-schema';

/**
 * `chainctl serve --stdio`: one JSON object per line each way. The control plane keeps one such channel open per box
 * over SSH (a round trip on an open channel costs ~0.2 ms, a fresh SSH exec ~100 ms). Every message carries `v`; a
 * server answers a request of another major version with `unsupported_version` instead of guessing.
 */
export const PROTOCOL_VERSION = 1;

const RequestBase = { v: z.literal(PROTOCOL_VERSION), id: z.union([z.string().min(1).max(200), z.number().int()]) };

export const ProtocolRequestSchema = z.discriminatedUnion('op', [
  z.object({ ...RequestBase, op: z.literal('health') }),
  z.object({
    ...RequestBase,
    op: z.literal('validate'),
    text: z.string(),
    file_name: z.string().default('chain.yaml'),
  }),
  z.object({
    ...RequestBase,
    op: z.literal('run'),
    /** Path of a chain file on the box (prompts next to it), or inline text (then it may reference no files). */
    file: z.string().optional(),
    text: z.string().optional(),
    inputs: z.record(z.string(), z.string()).default({}),
    run_id: z.string().optional(),
    /** The caps in force, stored by the box before the run is created (so it is judged by the latest figures). */
    caps: BoxCapsSchema.optional(),
  }),
  /** Stores the caps the box holds on its own (see box-caps.ts). */
  z.object({ ...RequestBase, op: z.literal('caps'), caps: BoxCapsSchema }),
  z.object({ ...RequestBase, op: z.literal('status'), run_id: z.string() }),
  z.object({ ...RequestBase, op: z.literal('list') }),
  z.object({
    ...RequestBase,
    op: z.literal('events'),
    run_id: z.string().optional(),
    since: z.string().optional(),
    limit: z.number().int().min(1).max(100_000).default(1000),
  }),
  z.object({
    ...RequestBase,
    op: z.literal('decide'),
    run_id: z.string(),
    step: z.string(),
    option: z.string(),
    by: z.string().optional(),
    note: z.string().optional(),
  }),
  z.object({ ...RequestBase, op: z.literal('replay'), run_id: z.string(), from: z.string() }),
  z.object({ ...RequestBase, op: z.literal('resume'), run_id: z.string() }),
  z.object({ ...RequestBase, op: z.literal('cancel'), run_id: z.string() }),
  /** Pushes every event after `since` (box-wide or one run) as `event` messages until `unsubscribe`. */
  z.object({ ...RequestBase, op: z.literal('subscribe'), since: z.string().optional(), run_id: z.string().optional() }),
  z.object({ ...RequestBase, op: z.literal('unsubscribe'), subscription: z.string() }),
]);
export type ProtocolRequest = z.infer<typeof ProtocolRequestSchema>;
export type ProtocolOp = ProtocolRequest['op'];

export const ProtocolErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.array(z.record(z.string(), z.unknown())).optional(),
  errors: z.array(ChainErrorSchema).optional(),
});

export const ProtocolResponseSchema = z.union([
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    type: z.literal('response'),
    id: RequestBase.id,
    ok: z.literal(true),
    result: z.unknown(),
  }),
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    type: z.literal('response'),
    id: RequestBase.id.nullable(),
    ok: z.literal(false),
    error: ProtocolErrorSchema,
  }),
]);
export type ProtocolResponse = z.infer<typeof ProtocolResponseSchema>;

export const ProtocolEventMessageSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('event'),
  subscription: z.string(),
  cursor: z.string(),
  event: RunEventSchema,
});
export type ProtocolEventMessage = z.infer<typeof ProtocolEventMessageSchema>;

/** First line the server writes, before any request is read. */
export const ProtocolHelloSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('hello'),
  protocol: z.literal(PROTOCOL_VERSION),
  version: z.string(),
  root: z.string(),
});

export const ProtocolServerMessageSchema = z.union([
  ProtocolHelloSchema,
  ProtocolResponseSchema,
  ProtocolEventMessageSchema,
]);
export type ProtocolServerMessage = z.infer<typeof ProtocolServerMessageSchema>;

/** `chainctl status RUN --json` and the `status` op's result. */
export const RunStatusSchema = z.object({
  run_id: z.string(),
  chain: z.string(),
  chain_version: z.string().nullable(),
  status: RunStatusValueSchema,
  finished: z.boolean(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  last_seq: z.number().int(),
  steps: z.array(
    z.object({
      step: z.string(),
      type: z.enum(['agent', 'decision']),
      status: StepStatusSchema,
      attempt: z.number().int(),
      started_at: z.string().nullable(),
      finished_at: z.string().nullable(),
      exit_code: z.number().int().nullable(),
      duration_seconds: z.number().nullable(),
      error: z.string().nullable(),
      output_path: z.string().nullable(),
      model: z.string().nullable(),
      input_tokens: z.number(),
      output_tokens: z.number(),
      tokens_used: z.number(),
      cost_usd: z.number(),
      decision: DecisionRecordSchema.nullable(),
      pending: z
        .object({
          prompt: z.string(),
          options: z.array(z.string()),
          deadline: z.string().nullable(),
          approvers: z.array(z.string()).nullable(),
          show: z.string().nullable(),
        })
        .nullable(),
    }),
  ),
  usage: z.object({
    input_tokens: z.number(),
    output_tokens: z.number(),
    tokens_used: z.number(),
    cost_usd: z.number(),
  }),
  malformed: z.array(z.object({ file: z.string(), error: z.string() })),
  unknown_steps: z.array(z.string()),
});
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** `chainctl health --json` and the `health` op's result; exit code 0 iff `ok`. */
export const HealthSchema = z.object({
  ok: z.boolean(),
  version: z.string(),
  protocol: z.number().int(),
  root: z.string(),
  node: z.string(),
  daemon: z.object({
    running: z.boolean(),
    healthy: z.boolean(),
    pid: z.number().int().nullable(),
    started_at: z.string().nullable(),
    heartbeat_age_ms: z.number().nullable(),
    active_runs: z.number().int().nullable(),
    running_steps: z.number().int().nullable(),
    queued_steps: z.number().int().nullable(),
    max_parallel: z.number().int().nullable(),
  }),
  pty: z.object({ ok: z.boolean(), error: z.string().nullable() }),
  root_writable: z.boolean(),
  problems: z.array(z.string()),
});
export type Health = z.infer<typeof HealthSchema>;
