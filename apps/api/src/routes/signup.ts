import { ErrorReplySchema, SignupBodySchema, SignupHeadersSchema, SignupReplySchema } from '@paddock/contracts';
import { signupTenant } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../deps';
import { createRateLimiter, limitPerClient } from '../http/rate-limit';

export function registerSignupRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const limiter = createRateLimiter(deps.redis, `${deps.redisPrefix}:ratelimit:signup`, deps.signupRateLimit);

  api.post(
    '/v1/signup',
    {
      onRequest: limitPerClient(limiter, 'signups'),
      schema: {
        summary: 'Sign up: creates the workspace, its owner and first API key, and starts provisioning its box',
        description:
          'Send a fresh Idempotency-Key (a UUID) per signup and repeat it when retrying: the same key and body ' +
          'return the same answer (API key included) for 24 hours; the same key with another body is a 409.',
        tags: ['signup'],
        headers: SignupHeadersSchema,
        body: SignupBodySchema,
        response: {
          202: SignupReplySchema,
          400: ErrorReplySchema,
          409: ErrorReplySchema,
          429: ErrorReplySchema,
          503: ErrorReplySchema,
        },
      },
    },
    async (request, reply) => {
      const outcome = await signupTenant(deps, {
        ...request.body,
        idempotencyKey: request.headers['idempotency-key'],
        ipAddress: request.ip,
        requestId: request.id,
      });
      // The answer carries an API key: no cache may keep it.
      reply.header('cache-control', 'no-store');
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      return reply.status(202).send(outcome.reply);
    },
  );
}
