import { authorizeScrape, createHttpMetrics, type Registry } from '@paddock/metrics';
import type { FastifyInstance } from 'fastify';
import { sendError } from './error-body';

export interface MetricsSettings {
  registry: Registry;
  /** With a token, /metrics wants `Authorization: Bearer <token>`; without, it answers direct loopback peers only. */
  token?: string | undefined;
}

/** Times every answer by route pattern and status, and serves the process's registry at GET /metrics. */
export function registerMetrics(app: FastifyInstance, settings: MetricsSettings): void {
  const http = createHttpMetrics(settings.registry);
  app.addHook('onResponse', async (request, reply) => {
    http.observe({
      method: request.method,
      // The pattern, not the URL: a 404 for /v1/tenants/<email> must not become a series named after it.
      route: request.routeOptions.url ?? 'unmatched',
      statusCode: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
    });
  });
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const verdict = authorizeScrape(settings.token, {
      remoteAddress: request.socket.remoteAddress,
      authorization: request.headers.authorization,
      forwarded: request.headers.forwarded !== undefined || request.headers['x-forwarded-for'] !== undefined,
    });
    if (verdict === 'unauthenticated') {
      reply.header('www-authenticate', 'Bearer');
      return sendError(request, reply, 'unauthenticated', 'Scraping /metrics needs the metrics bearer token.');
    }
    if (verdict === 'forbidden') {
      return sendError(
        request,
        reply,
        'forbidden',
        '/metrics answers direct loopback clients only (or set METRICS_TOKEN).',
      );
    }
    const text = await settings.registry.metrics();
    return reply.type(settings.registry.contentType).send(text);
  });
}
