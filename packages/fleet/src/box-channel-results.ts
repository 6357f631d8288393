import {
  HealthSchema,
  type ProtocolOp,
  type ProtocolRequestSchema,
  RunEventSchema,
  RunReportSchema,
  BoxRunStatusSchema,
  TerminalOpenResultSchema,
} from '@paddock/contracts';
import { z } from 'zod';

/**
 * What each `chainctl serve --stdio` operation answers. The contracts define the request and envelope schemas and the
 * health/status bodies; the smaller bodies are pinned here, next to the only client that reads them, and validated on
 * every answer so a runtime that drifted from the protocol is caught at the edge instead of deep in ingestion.
 */
export const EventWithCursorSchema = RunEventSchema.extend({ cursor: z.string() });

const ActionResultSchema = z.object({ event: RunEventSchema, file: z.string().optional() });

export const ProtocolResultSchemas = {
  health: HealthSchema,
  validate: z.object({ ok: z.boolean() }).passthrough(),
  run: z.object({
    run_id: z.string(),
    status: BoxRunStatusSchema,
    chain: z.string(),
    chain_version: z.string().nullable(),
  }),
  status: RunReportSchema,
  list: z.object({
    runs: z.array(
      z.object({
        run_id: z.string(),
        chain: z.string(),
        status: BoxRunStatusSchema,
        created_at: z.string().nullable(),
        updated_at: z.string().nullable(),
      }),
    ),
  }),
  events: z.object({ events: z.array(EventWithCursorSchema), cursor: z.string() }),
  decide: ActionResultSchema,
  replay: ActionResultSchema,
  resume: ActionResultSchema,
  cancel: ActionResultSchema,
  subscribe: z.object({ subscription: z.string().min(1) }),
  unsubscribe: z.object({ ok: z.literal(true) }),
  terminal: TerminalOpenResultSchema,
  terminal_stop: z.object({ ok: z.literal(true) }),
  caps: z.object({ ok: z.literal(true) }),
} satisfies Record<ProtocolOp, z.ZodType>;

export type ProtocolResult<O extends ProtocolOp> = z.output<(typeof ProtocolResultSchemas)[O]>;

type WithoutEnvelope<T> = T extends unknown ? Omit<T, 'v' | 'id'> : never;
/** A request as callers write it: the channel adds the protocol version and the correlation id. */
export type BoxRequest = WithoutEnvelope<z.input<typeof ProtocolRequestSchema>>;
export type BoxRequestFor<O extends ProtocolOp> = Extract<BoxRequest, { op: O }>;
