import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import {
  authenticateTenant,
  DEFAULT_TENANT_SESSION_TTL_MS,
  type RequestFacts,
  type TenantIdentity,
} from '@paddock/services';
import type { FastifyRequest } from 'fastify';
import { bearerToken } from './authenticate';
import { presentedCredential } from './browser-session';
import type { RateLimitRule } from './rate-limit';

declare module 'fastify' {
  interface FastifyRequest {
    tenant?: TenantIdentity;
  }
}

/** Tenant users' sessions and the limits on logging in (from the API's config; these defaults mirror it). */
export interface TenantSessionSettings {
  ttlMs: number;
  /** Login attempts per client address (IPv6: per /64). */
  loginPerAddress: RateLimitRule;
  /** Login attempts per email, and password changes per user: guessing one account's password stays slow. */
  loginPerAccount: RateLimitRule;
}

export const DEFAULT_TENANT_SESSION_SETTINGS: TenantSessionSettings = {
  ttlMs: DEFAULT_TENANT_SESSION_TTL_MS,
  loginPerAddress: { limit: 50, windowMs: 900_000 },
  loginPerAccount: { limit: 10, windowMs: 900_000 },
};

const READ_METHODS = new Set(['GET', 'HEAD']);

export interface RequireTenantOptions {
  /** The caller's own account (log out, set a password) stays usable while the workspace is suspended. */
  allowSuspended?: boolean;
}

/**
 * An onRequest hook for tenant routes: the credential (a workspace API key `pdk_...` or a user session `pds_...`)
 * names the tenant, and every query of the route is scoped by that tenant id. Runs before the body is read, so an
 * anonymous caller learns nothing about the route's input. A suspended workspace can still read (its usage, its
 * chains) but changes nothing.
 */
export function requireTenant(prisma: PrismaClient, options: RequireTenantOptions = {}) {
  return async (request: FastifyRequest): Promise<void> => {
    // A bearer credential, or the console's session cookie (with its CSRF check: browser-session.ts).
    const token = presentedCredential(request, 'tenant', bearerToken(request));
    if (!token) {
      throw new AppError(
        'unauthenticated',
        'This route needs a workspace API key or a user session: send Authorization: Bearer <key or session token>.',
      );
    }
    const tenant = await authenticateTenant({ prisma }, token);
    if (tenant.tenantStatus === 'suspended' && !options.allowSuspended && !READ_METHODS.has(request.method)) {
      throw new AppError('forbidden', 'This workspace is suspended: it can read its data but not change it.');
    }
    // A viewer reads the workspace and changes nothing (no runs, no decisions, no chains), but keeps its own account
    // (log out, set a password): the routes that allow a suspended workspace are exactly those.
    if (tenant.memberRole === 'viewer' && !options.allowSuspended && !READ_METHODS.has(request.method)) {
      throw new AppError('insufficient_role', 'Viewers can read this workspace but not change it; ask an admin.', {
        details: [{ message: 'needs role member', role: 'viewer', needed: 'member' }],
      });
    }
    request.tenant = tenant;
  };
}

export function tenantOf(request: FastifyRequest): TenantIdentity {
  if (!request.tenant) throw new AppError('unauthenticated', 'No workspace API key or user session on this request.');
  return request.tenant;
}

/** What audit rows keep of a request. */
export function requestFacts(request: FastifyRequest): RequestFacts {
  const userAgent = request.headers['user-agent'];
  return { ipAddress: request.ip, requestId: request.id, ...(userAgent ? { userAgent } : {}) };
}
