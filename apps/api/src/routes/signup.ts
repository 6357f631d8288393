import { ErrorReplySchema, SignupBodySchema, SignupHeadersSchema, SignupReplySchema } from '@paddock/contracts';
import { signupTenant } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../deps';
import { DEFAULT_FRONT_DOOR_SETTINGS } from '../http/front-door';
import { PasswordWorkGate } from '../http/password-work';
import { createRateLimiter, limitPerClient } from '../http/rate-limit';

export function registerSignupRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const limiter = createRateLimiter(deps.redis, `${deps.redisPrefix}:ratelimit:signup`, deps.signupRateLimit);
  const passwordWork = deps.passwordWork ?? new PasswordWorkGate(DEFAULT_FRONT_DOOR_SETTINGS.passwordWork);

  api.post(
    '/v1/signup',
    {
      // After validation, so a request that fails it spends none of the caller's budget (its body was read either
      // way: BODY_LIMIT_BYTES bounds that).
      preHandler: limitPerClient(limiter, 'signups'),
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
      const signup = () =>
        signupTenant(deps, {
          ...request.body,
          idempotencyKey: request.headers['idempotency-key'],
          ipAddress: request.ip,
          requestId: request.id,
        });
      // Only a signup with a password runs scrypt.
      const outcome = request.body.password === undefined ? await signup() : await passwordWork.run(reply, signup);
      // The answer carries an API key: no cache may keep it.
      reply.header('cache-control', 'no-store');
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      return reply.status(202).send(outcome.reply);
    },
  );
}
