import {
  AppError,
  ErrorReplySchema,
  SetPasswordBodySchema,
  TenantCallerReplySchema,
  TenantLoginBodySchema,
  TenantSessionReplySchema,
  TenantBrowserSessionReplySchema,
} from '@paddock/contracts';
import { describeTenantCaller, loginTenantUser, logoutTenantSession, setTenantPassword } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../../deps';
import { clearSessionCookie, csrfTokenFor, setSessionCookie, wantsCookieSession } from '../../http/browser-session';
import { DEFAULT_FRONT_DOOR_SETTINGS } from '../../http/front-door';
import { accountAttemptSubject, limitAccountAttempts } from '../../http/login-limits';
import { PasswordWorkGate } from '../../http/password-work';
import { createRateLimiter, limitPerClient, type RateLimiter } from '../../http/rate-limit';
import { DEFAULT_TENANT_SESSION_SETTINGS, requestFacts, requireTenant, tenantOf } from '../../http/tenant-auth';

/** Logging in and out, who am I, and the caller's own password: the tenant user's account routes. */
export function registerTenantSessionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const settings = deps.tenantSessions ?? DEFAULT_TENANT_SESSION_SETTINGS;
  const prefix = `${deps.redisPrefix}:ratelimit`;
  const perAddress = createRateLimiter(deps.redis, `${prefix}:login-address`, settings.loginPerAddress);
  const perEmail = createRateLimiter(deps.redis, `${prefix}:login-account-address`, settings.loginPerAccount);
  const passwordWork = deps.passwordWork ?? new PasswordWorkGate(DEFAULT_FRONT_DOOR_SETTINGS.passwordWork);
  const perUser = createRateLimiter(deps.redis, `${prefix}:password-user`, settings.loginPerAccount);
  const account = requireTenant(deps.prisma, { allowSuspended: true });
  const authenticated = { tags: ['account'], security: [{ bearer: [] }] };

  api.post(
    '/v1/sessions',
    {
      onRequest: limitPerClient(perAddress, 'login attempts'),
      // After validation: counted per account and address (login-limits.ts says why not per account alone).
      preHandler: async (request, reply) =>
        limitAccountAttempts(perEmail, accountAttemptSubject(request.body.email, request.ip), reply),
      schema: {
        summary: 'Log in as a workspace user: a session token for the tenant API',
        description:
          `The token (pds_...) works like an API key on every tenant route until it expires ` +
          `(${Math.round(settings.ttlMs / 60_000)} minutes) or is revoked (DELETE /v1/sessions/current, or a ` +
          'password change). A wrong email and a wrong password get the same 401.',
        tags: ['account'],
        body: TenantLoginBodySchema,
        response: {
          // With `x-paddock-session: cookie` (the console): the token goes into a cookie, the CSRF token is answered.
          201: TenantSessionReplySchema.or(TenantBrowserSessionReplySchema),
          400: ErrorReplySchema,
          401: ErrorReplySchema,
          403: ErrorReplySchema,
          429: ErrorReplySchema,
          503: ErrorReplySchema,
        },
      },
    },
    async (request, reply) => {
      const session = await passwordWork.run(reply, () =>
        loginTenantUser(
          { prisma: deps.prisma },
          {
            email: request.body.email,
            password: request.body.password,
            ttlMs: settings.ttlMs,
            ipAddress: request.ip,
            userAgent: request.headers['user-agent'],
          },
        ),
      );
      // The answer carries the token: no cache may keep it.
      reply.header('cache-control', 'no-store');
      if (wantsCookieSession(request)) {
        const { token, ...rest } = session;
        setSessionCookie(reply, 'tenant', token, session.expiresAt);
        return reply
          .status(201)
          .send({ ...rest, expiresAt: session.expiresAt.toISOString(), csrfToken: csrfTokenFor(token) });
      }
      return reply.status(201).send({ ...session, expiresAt: session.expiresAt.toISOString() });
    },
  );

  api.delete(
    '/v1/sessions/current',
    {
      onRequest: account,
      schema: {
        ...authenticated,
        summary: 'Log out: revoke the session this request carries',
        response: { 204: z.null(), 401: ErrorReplySchema, 409: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      await logoutTenantSession({ prisma: deps.prisma }, tenantOf(request), requestFacts(request));
      clearSessionCookie(reply, 'tenant');
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/v1/me',
    {
      onRequest: account,
      schema: {
        ...authenticated,
        summary: 'Who is calling: the credential (API key or session), its user and the workspace with its status',
        response: { 200: TenantCallerReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => describeTenantCaller({ prisma: deps.prisma }, tenantOf(request)),
  );

  api.put(
    '/v1/me/password',
    {
      onRequest: account,
      preHandler: async (request) =>
        consumeOrRefuse(perUser, tenantOf(request).userId ?? 'none', 'Too many password changes for this user'),
      schema: {
        ...authenticated,
        summary: "Set or change the calling user's password; the user's other sessions are revoked",
        description:
          'A user without a password (signed up without one) sets it with the API key; changing one needs ' +
          'currentPassword. The session making the change stays logged in.',
        body: SetPasswordBodySchema,
        response: {
          204: z.null(),
          400: ErrorReplySchema,
          401: ErrorReplySchema,
          403: ErrorReplySchema,
          409: ErrorReplySchema,
          429: ErrorReplySchema,
          503: ErrorReplySchema,
        },
      },
    },
    async (request, reply) => {
      await passwordWork.run(reply, () =>
        setTenantPassword({ prisma: deps.prisma }, tenantOf(request), request.body, requestFacts(request)),
      );
      return reply.status(204).send(null);
    },
  );
}

async function consumeOrRefuse(limiter: RateLimiter, subject: string, what: string): Promise<void> {
  let decision: Awaited<ReturnType<RateLimiter['consume']>>;
  try {
    decision = await limiter.consume(subject);
  } catch (error) {
    // Refusing is the safe side: unlimited password guessing is what the limit exists to prevent.
    throw new AppError('upstream_unavailable', 'Rate limiting is unavailable right now; try again shortly.', {
      cause: error,
    });
  }
  if (!decision.allowed) {
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new AppError('rate_limited', `${what}; try again in ${seconds} s.`);
  }
}
