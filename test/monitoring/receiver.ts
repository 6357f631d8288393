import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type SignatureVerdict, verifyWebhook } from '@paddock/services';

export interface Received {
  verdict: SignatureVerdict;
  body: Record<string, unknown>;
  path: string;
}

/**
 * A webhook receiver on 127.0.0.1 that does what the docs tell receivers to do: check the signature over the raw
 * body with the endpoint's secret, refuse a timestamp outside the replay window (401), and answer 2xx otherwise.
 * `status` makes it fail on purpose (retries, disabling).
 */
export async function startReceiver() {
  const received: Received[] = [];
  const secrets = new Map<string, string>();
  let status = 200;
  // Answers queued per path (used first, in order), then `status`: a receiver that fails twice, then accepts.
  const scripts = new Map<string, number[]>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = request.url ?? '/';
      const verdict = verifyWebhook(
        secrets.get(path) ?? '',
        {
          timestamp: request.headers['paddock-timestamp'] as string | undefined,
          signature: request.headers['paddock-signature'] as string | undefined,
        },
        raw,
        Math.floor(Date.now() / 1000),
      );
      received.push({ verdict, body: JSON.parse(raw) as Record<string, unknown>, path });
      response.statusCode = verdict === 'valid' ? (scripts.get(path)?.shift() ?? status) : 401;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    /** The secret the receiver checks requests to `path` with (the one the endpoint's creation showed). */
    trust(path: string, secret: string) {
      secrets.set(path, secret);
    },
    answer(code: number) {
      status = code;
    },
    /** The next answers to requests to `path`, in order (then the default again). */
    script(path: string, codes: number[]) {
      scripts.set(path, [...codes]);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
