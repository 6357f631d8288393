import { QUARANTINE_EXCERPT_BYTES } from '@paddock/contracts';
import type { z } from 'zod';
import type { OversizeLine } from './line-reader';

export type RejectedReason = 'line_too_long' | 'invalid_event';

/** An event of a subscription that the channel could not deliver, as much of it as could be told. */
export interface RejectedEvent {
  reason: RejectedReason;
  /** Human words: which field was wrong, how long the line was. */
  detail: string;
  /** The stream position after it, when the line said it (the consumer moves past it). */
  cursor?: string;
  runId?: string;
  seq?: number;
  /** Size of the serve line that carried it. */
  bytes: number;
  /** The first QUARANTINE_EXCERPT_BYTES of the line, for operators. */
  excerpt: string;
}

const CURSOR_MAX = 200;
/** The protocol version as JSON writes it (a number today; a short string would do too). */
const V = '(?:\\d{1,6}|"[^"\\\\]{0,32}")';
const SUBSCRIPTION_MAX = 64;

/**
 * A parsed event line that failed the event schema: whom it was for and where it was, when the line says so with
 * values of the right type. Undefined when it names no subscription or cursor (then nothing can be done but restart).
 */
export function rejectedEventOf(
  json: unknown,
  line: string,
  bytes: number,
  error: z.ZodError,
): { subscription: string; event: RejectedEvent } | undefined {
  const message = json as { subscription?: unknown; cursor?: unknown; event?: unknown };
  const { subscription, cursor } = message;
  if (typeof subscription !== 'string' || subscription === '' || subscription.length > SUBSCRIPTION_MAX) return;
  if (typeof cursor !== 'string' || cursor === '' || cursor.length > CURSOR_MAX) return;
  const event = (message.event ?? {}) as { run_id?: unknown; seq?: unknown };
  const issue = error.issues[0];
  return {
    subscription,
    event: {
      reason: 'invalid_event',
      detail: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`.slice(0, 300),
      cursor,
      ...(typeof event.run_id === 'string' ? { runId: event.run_id } : {}),
      ...(typeof event.seq === 'number' && Number.isFinite(event.seq) ? { seq: event.seq } : {}),
      bytes,
      excerpt: cutUtf8(line, QUARANTINE_EXCERPT_BYTES),
    },
  };
}

export type OversizeFinding =
  | { kind: 'response'; id: number }
  | { kind: 'event'; subscription: string; event: RejectedEvent }
  | { kind: 'unknown' };

/**
 * What a discarded over-long line was, read from its first bytes. The runtime writes its messages with
 * JSON.stringify, keys in a fixed order (`v, type, subscription, cursor, event: {run_id, seq, ...}` and
 * `v, type, id, ...`), so the head names them; a line that does not is `unknown`.
 */
export function rejectedOversizeLine(line: OversizeLine): OversizeFinding {
  const head = line.head;
  const type = new RegExp(`^\\{"v":${V},"type":"(event|response)"`).exec(head)?.[1];
  if (type === 'response') {
    const id = new RegExp(`^\\{"v":${V},"type":"response","id":(\\d{1,15})[,}]`).exec(head)?.[1];
    return id === undefined ? { kind: 'unknown' } : { kind: 'response', id: Number(id) };
  }
  if (type !== 'event') return { kind: 'unknown' };
  const found = new RegExp(
    `^\\{"v":${V},"type":"event","subscription":"([^"\\\\]{1,${SUBSCRIPTION_MAX}})","cursor":"([^"\\\\]{1,${CURSOR_MAX}})"`,
  ).exec(head);
  if (!found) return { kind: 'unknown' };
  const runId = /^,"event":\{"run_id":"([^"\\]{1,300})"/.exec(head.slice(found[0].length))?.[1];
  const seq = /^,"event":\{"run_id":"[^"\\]{1,300}","seq":(-?\d{1,30})[,}]/.exec(head.slice(found[0].length))?.[1];
  return {
    kind: 'event',
    subscription: found[1] as string,
    event: {
      reason: 'line_too_long',
      detail: `a serve line of ${line.bytes} bytes, longer than the limit`,
      cursor: found[2] as string,
      ...(runId !== undefined ? { runId } : {}),
      ...(seq !== undefined ? { seq: Number(seq) } : {}),
      bytes: line.bytes,
      excerpt: cutUtf8(head, QUARANTINE_EXCERPT_BYTES),
    },
  };
}

/** `text` cut to at most `maxBytes` of UTF-8, never in the middle of a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back off continuation bytes (10xxxxxx) so the cut falls on a character boundary.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
