import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';

/** What came back from an upgrade request: the raw connection after `101`, or the answer that refused it. */
export type UpgradeOutcome =
  | { kind: 'upgraded'; socket: Duplex; head: Buffer }
  | { kind: 'refused'; status: number; body: string; requestId: string | undefined };

/**
 * An HTTP/1.1 upgrade (fetch cannot make one): GET `url` with `Upgrade: protocol`, resolved with the socket once the
 * server switched protocols, or with the status and body of the answer that refused it.
 */
export function requestUpgrade(url: URL, protocol: string, headers: Record<string, string>): Promise<UpgradeOutcome> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { headers: { ...headers, connection: 'Upgrade', upgrade: protocol } });
    req.on('upgrade', (_response, socket, head) => resolve({ kind: 'upgraded', socket, head }));
    req.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => {
        const requestId = response.headers['x-request-id'];
        resolve({
          kind: 'refused',
          status: response.statusCode ?? 0,
          body,
          requestId: typeof requestId === 'string' ? requestId : undefined,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
