import type { RunEvent } from '@paddock/contracts';
import type { RatedColumns } from '../billing/rate-event-rows';
import { pgCut, pgJson } from './pg-text';

/** One `usage_events` row as the ingester writes it (already clamped to what the columns hold). */
export interface EventRow {
  key: string;
  runtimeRunId: string;
  seq: number;
  type: string;
  stepName: string;
  model: string | null;
  tokensIn: number;
  tokensOut: number;
  /** Integer millionths of a dollar, as text (bigint). */
  costMicros: string;
  durationMs: number | null;
  /** The whole event as JSON text (NUL characters replaced: PostgreSQL's jsonb and text refuse them). */
  payload: string;
  occurredAt: string;
  event: RunEvent;
  /** Set by `rateEventRows` before the insert (the control plane's price; `costMicros` then holds its charge). */
  rated?: RatedColumns;
}

export interface EventUsage {
  tokensIn: number;
  tokensOut: number;
  costMicros: bigint;
}

const INT4_MAX = 2_147_483_647;
const BIGINT_MAX = 9_223_372_036_854_775_807n;

/** `${boxId}:${runId}:${seq}`: the same event read twice (a replayed batch, a reset cursor) is one row. */
export function idempotencyKey(boxId: string, runId: string, seq: number): string {
  return `${boxId}:${runId}:${seq}`;
}

/**
 * The key of an event whose seq the box used before for another event (a person deleted event files and resumed
 * the run, so the runtime handed the same seq out again). Derived from the event itself, so reading it twice still
 * gives one row.
 */
export function reusedSeqKey(boxId: string, runId: string, seq: number, occurredAt: string): string {
  return `${idempotencyKey(boxId, runId, seq)}@${occurredAt}`;
}

/** What an event reports, in the units the database keeps: whole tokens and integer cost micros. */
export function usageOf(event: RunEvent): EventUsage {
  const tokensIn = wholeTokens(event.input_tokens);
  const explicitOut = event.output_tokens;
  const tokensOut =
    explicitOut !== null
      ? wholeTokens(explicitOut)
      : wholeTokens(event.tokens_used === null ? null : event.tokens_used - (event.input_tokens ?? 0));
  return { tokensIn, tokensOut, costMicros: costMicros(event.cost_usd) };
}

export function hasUsage(usage: EventUsage): boolean {
  return usage.tokensIn > 0 || usage.tokensOut > 0 || usage.costMicros > 0n;
}

/**
 * Maps an event to its row. Nothing a box sends may make the insert fail (that would stall the box's whole
 * stream): numbers are clamped to their columns, names cut to their widths, a timestamp that does not parse is
 * replaced by the time of receipt (the original stays in the payload).
 */
export function eventRow(boxId: string, event: RunEvent, receivedAt: string): EventRow {
  const usage = usageOf(event);
  const canonical = canonicalTimeMs(event.timestamp);
  const parsed = Number.isNaN(canonical) ? Date.parse(event.timestamp) : canonical;
  // Run ids from the runtime are at most 128 safe characters; a hand-edited event file may say anything.
  const runtimeRunId = pgCut(event.run_id, 128);
  return {
    key: idempotencyKey(boxId, runtimeRunId, event.seq),
    runtimeRunId,
    seq: event.seq,
    type: pgCut(event.kind, 64),
    stepName: pgCut(event.step, 128),
    model: pgCut(event.model, 128),
    tokensIn: usage.tokensIn,
    tokensOut: usage.tokensOut,
    costMicros: usage.costMicros.toString(),
    durationMs: durationMs(event.duration_seconds),
    payload: pgJson(withoutNulls(event)),
    occurredAt: Number.isNaN(canonical)
      ? Number.isFinite(parsed)
        ? new Date(parsed).toISOString()
        : receivedAt
      : event.timestamp,
    event,
  };
}

/** The rows of a batch of events, one per key: a stream that repeats an event inside one batch counts it once. */
export function eventRows(boxId: string, events: RunEvent[], receivedAt: string): EventRow[] {
  const batch = new EventRowBatch(boxId, receivedAt);
  for (const event of events) batch.add(event);
  return batch.rows;
}

/** `eventRows` one event at a time (a bulk import makes each row as it parses its line). */
export class EventRowBatch {
  readonly rows: EventRow[] = [];
  /** Events added, repeats included. */
  received = 0;
  private readonly keys = new Set<string>();

  constructor(
    private readonly boxId: string,
    private readonly receivedAt = new Date().toISOString(),
  ) {}

  add(event: RunEvent): void {
    this.received++;
    const row = eventRow(this.boxId, event, this.receivedAt);
    if (this.keys.has(row.key)) return;
    this.keys.add(row.key);
    this.rows.push(row);
  }
}

/** When an event happened, in epoch ms (NaN when its timestamp does not parse). */
export function eventTimeMs(timestamp: string): number {
  const canonical = canonicalTimeMs(timestamp);
  return Number.isNaN(canonical) ? Date.parse(timestamp) : canonical;
}

/**
 * Epoch ms of a timestamp written as `toISOString()` writes it (the runtime's form), NaN for anything else. Read
 * here rather than by `Date.parse` so that such a timestamp can be stored as it is, without formatting it again
 * (which cost more than the parse); V8's parser also takes days past a month's end, which this does not.
 */
export function canonicalTimeMs(text: string): number {
  if (text.length !== 24 || text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':') return NaN;
  if (text[16] !== ':' || text[19] !== '.' || text[23] !== 'Z') return NaN;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const ms = digits(text, 20, 3);
  // Date.UTC reads years below 100 as 19xx: those take the general path.
  if (year < 100 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 || ms < 0) {
    return NaN;
  }
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays =
    month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  if (day > monthDays || hour < 0 || minute < 0 || second < 0) return NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** The decimal number in `text[start, start + length)`, or -1 when a character there is not a digit. */
function digits(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

export function durationMs(seconds: number | null): number | null {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return null;
  return Math.min(INT4_MAX, Math.round(seconds * 1000));
}

function wholeTokens(value: number | null): number {
  if (value === null || !Number.isFinite(value) || value <= 0) return 0;
  return Math.min(INT4_MAX, Math.round(value));
}

function costMicros(usd: number | null): bigint {
  if (usd === null || !Number.isFinite(usd) || usd <= 0) return 0n;
  // Rounded once, from the dollar figure the box reported; sums are made of these integers, never of floats.
  const micros = BigInt(Math.round(usd * 1_000_000));
  return micros > BIGINT_MAX ? BIGINT_MAX : micros;
}

/** Null fields are the schema's defaults: leaving them out keeps the stored payload about half the size. */
function withoutNulls(event: RunEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) if (value !== null) out[key] = value;
  return out;
}
