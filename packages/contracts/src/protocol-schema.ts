import { z } from 'zod';
import { BoxCapsSchema } from './box-caps';
import { ChainErrorSchema } from './chain-parse';
import { MAX_TERMINAL_CHUNK_BYTES, PG_INT_MAX } from './box-limits';
import { DecisionRecordSchema, RunEventSchema, BoxRunStatusSchema, BoxStepStatusSchema } from './events-schema';

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
  /**
   * Streams one attempt's pty.log of a step as `terminal` pushes (base64 chunks from `tail_bytes` before its end,
   * then live) until the attempt ends (`terminal_end`) or `terminal_stop`. The client names the stream, so it can
   * route pushes before the answer arrives. `attempt` defaults to the step's current one.
   */
  z.object({
    ...RequestBase,
    op: z.literal('terminal'),
    stream: TerminalStreamIdSchema(),
    run_id: z.string(),
    step: z.string(),
    attempt: z.number().int().min(1).max(PG_INT_MAX).optional(),
    tail_bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  }),
  z.object({ ...RequestBase, op: z.literal('terminal_stop'), stream: TerminalStreamIdSchema() }),
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

function TerminalStreamIdSchema() {
  return z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
}

/** Base64 of at most MAX_TERMINAL_CHUNK_BYTES bytes. */
const MAX_TERMINAL_CHUNK_BASE64 = Math.ceil(MAX_TERMINAL_CHUNK_BYTES / 3) * 4;

/** One piece of a terminal stream: the bytes of the log at `offset`, base64 (terminals write any bytes). */
export const ProtocolTerminalChunkSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('terminal'),
  stream: z.string(),
  offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  data: z.base64().min(1).max(MAX_TERMINAL_CHUNK_BASE64),
});
export type ProtocolTerminalChunk = z.infer<typeof ProtocolTerminalChunkSchema>;

/**
 * The last message of a terminal stream: `ended` (the attempt is over and every byte was sent), `stopped` (the
 * client asked), `failed` (the log could not be read on; `message` says why).
 */
export const ProtocolTerminalEndSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('terminal_end'),
  stream: z.string(),
  offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  reason: z.enum(['ended', 'stopped', 'failed']),
  status: BoxStepStatusSchema.nullable(),
  message: z.string().max(1000).optional(),
});
export type ProtocolTerminalEnd = z.infer<typeof ProtocolTerminalEndSchema>;

/** The `terminal` op's answer: which attempt, the log's size when opened, and where the replay starts. */
export const TerminalOpenResultSchema = z.object({
  stream: z.string(),
  attempt: z.number().int().min(1).max(PG_INT_MAX),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  start: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type TerminalOpenResult = z.infer<typeof TerminalOpenResultSchema>;

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
  ProtocolTerminalChunkSchema,
  ProtocolTerminalEndSchema,
]);
export type ProtocolServerMessage = z.infer<typeof ProtocolServerMessageSchema>;

/** `chainctl status RUN --json` and the `status` op's result. */
export const RunReportSchema = z.object({
  run_id: z.string(),
  chain: z.string(),
  chain_version: z.string().nullable(),
  status: BoxRunStatusSchema,
  finished: z.boolean(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  last_seq: z.number().int(),
  steps: z.array(
    z.object({
      step: z.string(),
      type: z.enum(['agent', 'decision']),
      status: BoxStepStatusSchema,
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
export type RunReport = z.infer<typeof RunReportSchema>;

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
