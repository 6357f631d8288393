import { AppError, OperatorCurrentSessionReplySchema, TenantCurrentSessionReplySchema } from '@paddock/contracts';
import { describeTenantCaller } from '@paddock/services';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../deps';
import { bearerToken, operatorOf, requireOperator } from '../http/authenticate';
import { csrfTokenFor, type SessionKind, sessionCookie } from '../http/browser-session';
import { requireTenant, tenantOf } from '../http/tenant-auth';

/**
 * What a console page asks when it loads: is there a session, whose, and its CSRF token (page scripts cannot read
 * the httpOnly cookie, and a reload loses what login answered). "Nobody" is an answer here (200 with nulls), not a
 * 401: the login page asks it on every load. Only same-origin scripts can read the answer: the API sends no CORS
 * headers.
 */
export function registerBrowserSessionRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma'>): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const operatorAuth = requireOperator(deps.prisma);
  const tenantAuth = requireTenant(deps.prisma, { allowSuspended: true });

  api.get(
    '/v1/operator/sessions/current',
    {
      schema: {
        summary: 'The operator session this request carries (null when none), with its CSRF token for a cookie',
        tags: ['operator'],
        security: [{ bearer: [] }],
        response: { 200: OperatorCurrentSessionReplySchema },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      if (!(await signedIn(() => operatorAuth(request)))) return { operator: null, csrfToken: null };
      const operator = operatorOf(request);
      return {
        operator: { id: operator.userId, email: operator.email, role: operator.role },
        csrfToken: csrfOf(request, 'operator'),
      };
    },
  );

  api.get(
    '/v1/sessions/current',
    {
      schema: {
        summary: 'The caller (like GET /v1/me; null when none) with the CSRF token for a cookie session',
        tags: ['account'],
        security: [{ bearer: [] }],
        response: { 200: TenantCurrentSessionReplySchema },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      if (!(await signedIn(() => tenantAuth(request)))) return { caller: null, csrfToken: null };
      const caller = await describeTenantCaller({ prisma: deps.prisma }, tenantOf(request));
      return { caller, csrfToken: csrfOf(request, 'tenant') };
    },
  );
}

/** Runs the route family's own authentication; false when it finds no valid session (any other failure is thrown). */
async function signedIn(authenticate: () => Promise<void>): Promise<boolean> {
  try {
    await authenticate();
    return true;
  } catch (error) {
    if (error instanceof AppError && error.code === 'unauthenticated') return false;
    throw error;
  }
}

function csrfOf(request: FastifyRequest, kind: SessionKind): string | null {
  if (bearerToken(request)) return null;
  const cookie = sessionCookie(request, kind);
  return cookie ? csrfTokenFor(cookie) : null;
}
