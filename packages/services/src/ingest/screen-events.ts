import { createHash } from 'node:crypto';
import {
  MAX_COST_USD_PER_EVENT,
  MAX_DURATION_SECONDS,
  MAX_EVENT_BYTES,
  MAX_EVENT_DATA_BYTES,
  MAX_EVENT_DATA_DEPTH,
  MAX_EVENT_TEXT_CHARS,
  MAX_RUN_ID_CHARS,
  MAX_TOKENS_PER_EVENT,
  PG_INT_MAX,
  PG_INT_MIN,
  QUARANTINE_EXCERPT_BYTES,
  type RunEvent,
} from '@paddock/contracts';
import { type RejectedEvent, cutUtf8 } from '@paddock/fleet';

/**
 * Why an event is quarantined instead of stored. The channel's own reasons (`line_too_long`, `invalid_event`) come
 * with the event it could not read; the rest are found here, before anything reaches Postgres.
 */
export type QuarantineReason =
  | RejectedEvent['reason']
  | 'event_too_large'
  | 'text_too_long'
  | 'data_too_large'
  | 'data_too_deep'
  | 'run_id_invalid'
  | 'seq_out_of_range'
  | 'attempt_out_of_range'
  | 'exit_code_out_of_range'
  | 'tokens_out_of_range'
  | 'cost_out_of_range'
  | 'duration_out_of_range'
  | 'foreign_run';

/** One quarantined record as it is written (`quarantined_events`). */
export interface QuarantineEntry {
  reason: QuarantineReason;
  detail: string;
  cursor?: string;
  runId?: string;
  seq?: number;
  bytes: number;
  excerpt: string;
  /** The same bad event read twice gives the same fingerprint: it is quarantined once. */
  fingerprint: string;
}

/**
 * Why `event` cannot be stored, or undefined when it can. Every number must fit its column (seq, attempt and exit
 * code are `integer`; tokens and cost are summed into `integer` and `bigint` totals) and be a sane, finite,
 * non-negative figure; text and `data` are bounded in size and `data` in depth (recursive serializers, ours and
 * PostgreSQL's jsonb input, overflow on deep nesting). A failing INSERT would stall the box's whole stream.
 */
export function screenEvent(event: RunEvent): { reason: QuarantineReason; detail: string } | undefined {
  if (event.run_id === '' || event.run_id.length > MAX_RUN_ID_CHARS) {
    return { reason: 'run_id_invalid', detail: `run id of ${event.run_id.length} characters` };
  }
  if (!intIn(event.seq, 1, PG_INT_MAX)) return { reason: 'seq_out_of_range', detail: `seq ${event.seq}` };
  if (event.attempt !== null && !intIn(event.attempt, 1, PG_INT_MAX)) {
    return { reason: 'attempt_out_of_range', detail: `attempt ${event.attempt}` };
  }
  if (event.exit_code !== null && !intIn(event.exit_code, PG_INT_MIN, PG_INT_MAX)) {
    return { reason: 'exit_code_out_of_range', detail: `exit code ${event.exit_code}` };
  }
  for (const field of ['input_tokens', 'output_tokens', 'tokens_used'] as const) {
    const value = event[field];
    if (value !== null && !numberIn(value, 0, MAX_TOKENS_PER_EVENT)) {
      return { reason: 'tokens_out_of_range', detail: `${field} ${value}` };
    }
  }
  if (event.cost_usd !== null && !numberIn(event.cost_usd, 0, MAX_COST_USD_PER_EVENT)) {
    return { reason: 'cost_out_of_range', detail: `cost_usd ${event.cost_usd}` };
  }
  if (event.duration_seconds !== null && !numberIn(event.duration_seconds, 0, MAX_DURATION_SECONDS)) {
    return { reason: 'duration_out_of_range', detail: `duration_seconds ${event.duration_seconds}` };
  }
  for (const field of ['message', 'error'] as const) {
    const text = event[field];
    if (text !== null && text.length > MAX_EVENT_TEXT_CHARS) {
      return { reason: 'text_too_long', detail: `${field} of ${text.length} characters` };
    }
  }
  if (event.data !== null) {
    const depth = depthOf(event.data, MAX_EVENT_DATA_DEPTH);
    if (depth > MAX_EVENT_DATA_DEPTH) {
      return { reason: 'data_too_deep', detail: `data nested deeper than ${MAX_EVENT_DATA_DEPTH}` };
    }
    const bytes = Buffer.byteLength(JSON.stringify(event.data));
    if (bytes > MAX_EVENT_DATA_BYTES) return { reason: 'data_too_large', detail: `data of ${bytes} bytes` };
  }
  // Fields the schema leaves free (step, model, status, timestamp, output_path, decision) are bounded by the whole.
  const bytes = Buffer.byteLength(JSON.stringify(event));
  if (bytes > MAX_EVENT_BYTES) return { reason: 'event_too_large', detail: `an event of ${bytes} bytes` };
  return undefined;
}

/** The quarantine record of an event `screenEvent` refused (or one found foreign to the box). */
export function quarantineEvent(
  event: RunEvent,
  reason: QuarantineReason,
  detail: string,
  cursor: string | undefined,
  bytes?: number,
): QuarantineEntry {
  const excerpt = excerptOf(event);
  return {
    reason,
    detail,
    ...(cursor !== undefined ? { cursor } : {}),
    runId: event.run_id,
    seq: event.seq,
    bytes: bytes ?? Buffer.byteLength(excerpt),
    excerpt,
    // What the event is, not where it was read: the same event read again (a restarted stream) is the same record.
    fingerprint: fingerprintOf([reason, event.run_id, event.seq, event.step, event.kind, event.timestamp]),
  };
}

/** An event whose serve line was larger than MAX_EVENT_BYTES (told by the collector before holding it). */
export function tooLargeEvent(event: RunEvent, cursor: string, bytes: number): QuarantineEntry {
  return quarantineEvent(event, 'event_too_large', `a serve line of ${bytes} bytes`, cursor, bytes);
}

/** The quarantine record of an event the channel rejected. */
export function quarantineRejected(rejected: RejectedEvent): QuarantineEntry {
  const reason = rejected.reason;
  return {
    reason,
    detail: rejected.detail,
    ...(rejected.cursor !== undefined ? { cursor: rejected.cursor } : {}),
    ...(rejected.runId !== undefined ? { runId: rejected.runId } : {}),
    ...(rejected.seq !== undefined ? { seq: rejected.seq } : {}),
    bytes: rejected.bytes,
    excerpt: cutUtf8(rejected.excerpt, QUARANTINE_EXCERPT_BYTES),
    // A line that could not be read is known by where it was and how it began.
    fingerprint: fingerprintOf([reason, rejected.cursor ?? '', rejected.bytes, rejected.excerpt]),
  };
}

function fingerprintOf(parts: (string | number)[]): string {
  return createHash('sha256').update(parts.map(String).join('\u0000')).digest('hex');
}

/**
 * A bounded excerpt of an event for operators: its identity and scalar fields, text cut short, `data` only when it
 * is shallow enough to serialize safely.
 */
function excerptOf(event: RunEvent): string {
  const short = (text: string | null) => (text === null || text.length <= 256 ? text : `${text.slice(0, 256)}…`);
  const data =
    event.data === null
      ? null
      : depthOf(event.data, MAX_EVENT_DATA_DEPTH) > MAX_EVENT_DATA_DEPTH
        ? `[nested deeper than ${MAX_EVENT_DATA_DEPTH}]`
        : short(JSON.stringify(event.data));
  const json = JSON.stringify({
    ...event,
    run_id: short(event.run_id),
    step: short(event.step),
    status: short(event.status),
    timestamp: short(event.timestamp),
    model: short(event.model),
    output_path: short(event.output_path),
    message: short(event.message),
    error: short(event.error),
    decision: event.decision
      ? { option: short(event.decision.option), by: short(event.decision.by), note: short(event.decision.note) }
      : null,
    data,
  });
  return cutUtf8(json, QUARANTINE_EXCERPT_BYTES);
}

function intIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

function numberIn(value: number, min: number, max: number): boolean {
  return Number.isFinite(value) && value >= min && value <= max;
}

/**
 * Nesting depth of a JSON value (a scalar is 0), counted without recursion, giving up once past `limit` (so a
 * hostile value costs at most `limit` levels of work per branch walked).
 */
export function depthOf(value: unknown, limit: number): number {
  let max = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (current === null || typeof current !== 'object') continue;
    const level = depth + 1;
    if (level > max) max = level;
    if (max > limit) return max;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: level });
    }
  }
  return max;
}
