import {
  ErrorReplySchema,
  OperatorLoginBodySchema,
  OperatorSessionReplySchema,
  OperatorBrowserSessionReplySchema,
} from '@paddock/contracts';
import { loginOperator, logoutOperator } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../../deps';
import { operatorOf, requireOperator } from '../../http/authenticate';
import { clearSessionCookie, csrfTokenFor, setSessionCookie, wantsCookieSession } from '../../http/browser-session';
import { DEFAULT_FRONT_DOOR_SETTINGS } from '../../http/front-door';
import { accountAttemptSubject, limitAccountAttempts } from '../../http/login-limits';
import { PasswordWorkGate } from '../../http/password-work';
import { createRateLimiter, limitPerClient } from '../../http/rate-limit';

export function registerOperatorSessionRoutes(
  app: FastifyInstance,
  deps: Pick<ApiDeps, 'prisma' | 'redis' | 'redisPrefix' | 'frontDoor' | 'passwordWork'>,
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const settings = deps.frontDoor ?? DEFAULT_FRONT_DOOR_SETTINGS;
  const passwordWork = deps.passwordWork ?? new PasswordWorkGate(settings.passwordWork);
  const prefix = `${deps.redisPrefix}:ratelimit`;
  const perAddress = createRateLimiter(
    deps.redis,
    `${prefix}:operator-login-address`,
    settings.operatorLoginPerAddress,
  );
  const perAccount = createRateLimiter(
    deps.redis,
    `${prefix}:operator-login-account`,
    settings.operatorLoginPerAccount,
  );

  api.post(
    '/v1/operator/sessions',
    {
      // The same two limits as tenant login (see login-limits.ts for why the account's is per address too).
      onRequest: limitPerClient(perAddress, 'login attempts'),
      preHandler: async (request, reply) =>
        limitAccountAttempts(perAccount, accountAttemptSubject(request.body.email, request.ip), reply),
      schema: {
        summary: 'Log in as an operator',
        tags: ['operator'],
        body: OperatorLoginBodySchema,
        response: {
          // With `x-paddock-session: cookie` (the console): the token goes into a cookie, the CSRF token is answered.
          201: OperatorSessionReplySchema.or(OperatorBrowserSessionReplySchema),
          400: ErrorReplySchema,
          401: ErrorReplySchema,
          429: ErrorReplySchema,
          503: ErrorReplySchema,
        },
      },
    },
    async (request, reply) => {
      const session = await passwordWork.run(reply, () =>
        loginOperator(
          { prisma: deps.prisma },
          {
            ...request.body,
            ipAddress: request.ip,
            userAgent: request.headers['user-agent'],
            requestId: request.id,
          },
        ),
      );
      reply.header('cache-control', 'no-store');
      if (wantsCookieSession(request)) {
        const { token, ...rest } = session;
        setSessionCookie(reply, 'operator', token, session.expiresAt);
        return reply
          .status(201)
          .send({ ...rest, expiresAt: session.expiresAt.toISOString(), csrfToken: csrfTokenFor(token) });
      }
      return reply.status(201).send({ ...session, expiresAt: session.expiresAt.toISOString() });
    },
  );

  api.delete(
    '/v1/operator/sessions/current',
    {
      onRequest: requireOperator(deps.prisma, { role: 'viewer' }),
      schema: {
        summary: 'Log out (revoke this session)',
        tags: ['operator'],
        security: [{ bearer: [] }],
        response: { 204: z.null(), 401: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      await logoutOperator({ prisma: deps.prisma }, operatorOf(request).sessionId);
      clearSessionCookie(reply, 'operator');
      return reply.status(204).send(null);
    },
  );
}
