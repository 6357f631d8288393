import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { authorizeScrape } from './scrape-auth';

export interface MetricsServerOptions {
  registry: Registry;
  host: string;
  /** 0: any free port (tests); the chosen one is in `url`. */
  port: number;
  token?: string | undefined;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The worker's only HTTP listener: GET /metrics, nothing else. Same rule as the API's route (authorizeScrape).
 * Errors answer plainly without internals: a scrape never sees a stack trace.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?', 1)[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const verdict = authorizeScrape(options.token, {
      remoteAddress: request.socket.remoteAddress,
      authorization: request.headers.authorization,
      forwarded: request.headers.forwarded !== undefined || request.headers['x-forwarded-for'] !== undefined,
    });
    if (verdict !== 'ok') {
      const status = verdict === 'unauthenticated' ? 401 : 403;
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (status === 401) headers['www-authenticate'] = 'Bearer';
      response.writeHead(status, headers).end(`${verdict}\n`);
      return;
    }
    options.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  // Scrapes are short: an idle keep-alive socket must not hold the worker's shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
