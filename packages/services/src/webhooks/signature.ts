import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How a webhook is signed, and how a receiver checks it (README.md in this folder shows a receiver).
 *
 *   Paddock-Timestamp: <unix seconds>
 *   Paddock-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * The timestamp is inside the signed text, so a captured request cannot be replayed later with a fresh timestamp;
 * a receiver refuses timestamps outside its replay window (5 minutes by default) and compares in constant time.
 */
export const TIMESTAMP_HEADER = 'paddock-timestamp';
export const SIGNATURE_HEADER = 'paddock-signature';
export const DEFAULT_REPLAY_WINDOW_SECONDS = 300;

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export type SignatureVerdict = 'valid' | 'missing' | 'stale' | 'mismatch';

export function verifyWebhook(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  nowSeconds: number,
  windowSeconds = DEFAULT_REPLAY_WINDOW_SECONDS,
): SignatureVerdict {
  if (!headers.timestamp || !headers.signature || !/^\d{1,12}$/.test(headers.timestamp)) return 'missing';
  const timestamp = Number(headers.timestamp);
  if (Math.abs(nowSeconds - timestamp) > windowSeconds) return 'stale';
  const expected = Buffer.from(signWebhook(secret, timestamp, rawBody));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? 'valid' : 'mismatch';
}
