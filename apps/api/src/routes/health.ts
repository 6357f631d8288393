import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

export type ReadinessCheck = () => Promise<void>;

const HealthReplySchema = z.object({ status: z.literal('ok') });
const ReadyReplySchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() })),
});

export function registerHealthRoutes(app: FastifyInstance, checks: Record<string, ReadinessCheck>): void {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/healthz',
    { schema: { summary: 'The process is up', tags: ['health'], response: { 200: HealthReplySchema } } },
    async () => ({ status: 'ok' as const }),
  );

  api.get(
    '/readyz',
    {
      schema: {
        summary: 'PostgreSQL and Redis answer and every migration is applied',
        tags: ['health'],
        response: { 200: ReadyReplySchema, 503: ReadyReplySchema },
      },
    },
    async (request, reply) => {
      const results = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await check();
            return [name, { ok: true }] as const;
          } catch (error) {
            request.log.warn({ err: error, check: name }, 'readiness check failed');
            // A driver's message can carry hosts, ports, users and database names: the answer says only which check
            // failed, and the request id finds the reason in the log.
            return [name, { ok: false, error: `${name} check failed (request ${request.id})` }] as const;
          }
        }),
      );
      const ready = results.every(([, result]) => result.ok);
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(results) });
    },
  );
}
