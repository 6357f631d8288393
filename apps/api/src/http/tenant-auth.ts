import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import { authenticateTenantApiKey, type RequestFacts, type TenantIdentity } from '@paddock/services';
import type { FastifyRequest } from 'fastify';
import { bearerToken } from './authenticate';

declare module 'fastify' {
  interface FastifyRequest {
    tenant?: TenantIdentity;
  }
}

const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * An onRequest hook for tenant routes: the API key names the tenant, and every query of the route is scoped by
 * that tenant id. Runs before the body is read, so an anonymous caller learns nothing about the route's input.
 * A suspended workspace can still read (its usage, its chains) but changes nothing.
 */
export function requireTenant(prisma: PrismaClient) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request);
    if (!token) {
      throw new AppError('unauthenticated', 'This route needs a workspace API key: send Authorization: Bearer <key>.');
    }
    const tenant = await authenticateTenantApiKey(prisma, token);
    if (tenant.tenantStatus === 'suspended' && !READ_METHODS.has(request.method)) {
      throw new AppError('forbidden', 'This workspace is suspended: it can read its data but not change it.');
    }
    request.tenant = tenant;
  };
}

export function tenantOf(request: FastifyRequest): TenantIdentity {
  if (!request.tenant) throw new AppError('unauthenticated', 'No workspace API key on this request.');
  return request.tenant;
}

/** What audit rows keep of a request. */
export function requestFacts(request: FastifyRequest): RequestFacts {
  return { ipAddress: request.ip, requestId: request.id };
}
