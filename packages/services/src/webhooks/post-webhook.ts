import http from 'node:http';
import https from 'node:https';
import { guardedLookup, type WebhookTargetPolicy } from './url-guard';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './signature';

export interface PostResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/** A receiver has this long to answer (connect, send, first byte and body); then the attempt counts as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;
const MAX_REPLY_BYTES = 4096;

/**
 * One signed POST. Only a 2xx counts as delivered; a redirect is a failure (following it would let a public URL
 * bounce the request to a private one). The connection's address passes the SSRF guard at connect time.
 */
export function postWebhook(
  url: URL,
  secret: string,
  body: string,
  policy: WebhookTargetPolicy,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<PostResult> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        lookup: guardedLookup(policy) as never,
        timeout: DELIVERY_TIMEOUT_MS,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Paddock-Webhooks/1',
          [TIMESTAMP_HEADER]: String(nowSeconds),
          [SIGNATURE_HEADER]: signWebhook(secret, nowSeconds, body),
        },
      },
      (response) => {
        let seen = 0;
        response.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > MAX_REPLY_BYTES) response.destroy();
        });
        const done = () => {
          const status = response.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          resolve({ ok, statusCode: status, error: ok ? null : `receiver answered ${status}` });
        };
        response.on('end', done);
        response.on('close', done);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${DELIVERY_TIMEOUT_MS} ms`)));
    request.on('error', (error) => resolve({ ok: false, statusCode: null, error: error.message.slice(0, 500) }));
    request.end(body);
  });
}
