import { z } from 'zod';
import { MAX_OUTPUT_BYTES_PER_EVENT } from './box-limits';

/**
 * The event format of the box runtime. Every state change of a run is one JSON file in `runs/<id>/.events/`, named
 * `<seq>-<step>.<kind>.json`. `seq` (zero-padded, per run) fixes the order; timestamps are informative only.
 * Run-level events (created, finished, replayed, resumed, cancelled) use the reserved step name `_run`, which no
 * chain step can take (step names start with a letter or digit).
 */
export const RUN_STEP = '_run';

export const EVENT_KINDS = [
  'created',
  'started',
  'complete',
  'error',
  'retry',
  'killed',
  'alert',
  'decision_pending',
  'decided',
  'skipped',
  'input',
  'replayed',
  'resumed',
  'cancelled',
  'finished',
  /** The box refused to start the run (a plan cap it holds on its own: `data.code`, `limit`, `current`, `maximum`). */
  'refused',
] as const;
export const EventKindSchema = z.enum(EVENT_KINDS);
export type EventKind = z.infer<typeof EventKindSchema>;

/**
 * A step's status as the box's events say it (`RunEvent.status`, `chainctl status`). Not the control plane's step
 * status (`StepStatus`, api/run-statuses.ts: `run_steps.status` in Postgres), which the collector derives from these
 * events: the box says `complete`, `waiting`, `retrying`; Postgres says `succeeded`, `waiting_decision` and keeps a
 * pending row for the next attempt. Two vocabularies, two names.
 */
export const BOX_STEP_STATUSES = [
  'pending',
  'running',
  'retrying',
  'waiting',
  'complete',
  'failed',
  'skipped',
  'cancelled',
] as const;
export const BoxStepStatusSchema = z.enum(BOX_STEP_STATUSES);
export type BoxStepStatus = z.infer<typeof BoxStepStatusSchema>;

/** A run's status as the box says it; the control plane's is `RunStatus` (api/run-statuses.ts). */
export const BOX_RUN_STATUSES = [
  'queued',
  'running',
  'waiting',
  'succeeded',
  'failed',
  'rejected',
  'cancelled',
] as const;
export const BoxRunStatusSchema = z.enum(BOX_RUN_STATUSES);
export type BoxRunStatus = z.infer<typeof BoxRunStatusSchema>;

export const DecisionRecordSchema = z.object({
  option: z.string(),
  by: z.string(),
  note: z.string().nullable(),
  timed_out: z.boolean().default(false),
});
export type DecisionRecord = z.infer<typeof DecisionRecordSchema>;

export const RunEventSchema = z.object({
  run_id: z.string(),
  seq: z.number().int().min(1),
  step: z.string(),
  kind: EventKindSchema,
  /** The step's status after this event (for `_run` events: the run's status). */
  status: z.string(),
  timestamp: z.string(),
  attempt: z.number().int().min(1).nullable().default(null),
  output_path: z.string().nullable().default(null),
  /** Size of the attempt's output file, on its ending events (older runtimes send none). */
  output_bytes: z.number().int().min(0).max(MAX_OUTPUT_BYTES_PER_EVENT).nullable().default(null),
  tokens_used: z.number().nullable().default(null),
  model: z.string().nullable().default(null),
  input_tokens: z.number().nullable().default(null),
  output_tokens: z.number().nullable().default(null),
  cost_usd: z.number().nullable().default(null),
  duration_seconds: z.number().nullable().default(null),
  exit_code: z.number().int().nullable().default(null),
  error: z.string().nullable().default(null),
  /** Free-form details of the kind: decision prompt/options/deadline, alert reason, removed files of a replay... */
  message: z.string().nullable().default(null),
  decision: DecisionRecordSchema.nullable().default(null),
  data: z.record(z.string(), z.unknown()).nullable().default(null),
});
export type RunEvent = z.infer<typeof RunEventSchema>;
export type RunEventInput = z.input<typeof RunEventSchema>;

const EVENT_FILE_PATTERN = /^(\d+)-([A-Za-z0-9_][A-Za-z0-9_-]*)\.([a-z_]+)\.json$/;
export const SEQ_WIDTH = 6;

export function eventFileName(seq: number, step: string, kind: EventKind): string {
  return `${String(seq).padStart(SEQ_WIDTH, '0')}-${step}.${kind}.json`;
}

export interface EventFileName {
  seq: number;
  step: string;
  kind: string;
}

export function parseEventFileName(name: string): EventFileName | undefined {
  const match = EVENT_FILE_PATTERN.exec(name);
  if (!match) return undefined;
  return { seq: Number(match[1]), step: match[2] as string, kind: match[3] as string };
}

/** Usage an agent reports via $CHAIN_USAGE_FILE or a `::usage {...}` terminal line. */
export const UsageReportSchema = z.object({
  model: z.string().optional(),
  input_tokens: z.number().int().min(0).default(0),
  output_tokens: z.number().int().min(0).default(0),
  cost_usd: z.number().min(0).optional(),
});
export type UsageReport = z.infer<typeof UsageReportSchema>;
