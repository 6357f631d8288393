import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import { authenticateOperator, type OperatorIdentity, type OperatorRoleName } from '@paddock/services';
import type { FastifyRequest } from 'fastify';
import { presentedCredential } from './browser-session';

declare module 'fastify' {
  interface FastifyRequest {
    operator?: OperatorIdentity;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]{16,512})$/.exec(header);
  return match?.[1];
}

const READ_METHODS = new Set(['GET', 'HEAD']);

export interface RequireOperatorOptions {
  /**
   * The least role the route needs, whatever its method: `owner` for the operator accounts, `viewer` for the
   * caller's own session (log out). Default: any role reads (GET/HEAD), owner and operator write.
   */
  role?: OperatorRoleName;
}

/**
 * An onRequest hook: runs before the body is read, so an anonymous caller learns nothing about the route's input.
 * The role rule is by method, so no write route can forget it: a `viewer` reads everything and changes nothing.
 */
export function requireOperator(prisma: PrismaClient, options: RequireOperatorOptions = {}) {
  return async (request: FastifyRequest): Promise<void> => {
    // A bearer token, or the console's session cookie (with its CSRF check: browser-session.ts).
    const token = presentedCredential(request, 'operator', bearerToken(request));
    if (!token)
      throw new AppError(
        'unauthenticated',
        'This route needs an operator session: send Authorization: Bearer <token>.',
      );
    const operator = await authenticateOperator({ prisma }, token);
    assertOperatorRole(operator.role, options.role ?? (READ_METHODS.has(request.method) ? 'viewer' : 'operator'));
    request.operator = operator;
  };
}

const RANK: Record<OperatorRoleName, number> = { viewer: 0, operator: 1, owner: 2 };

/** 403 `insufficient_role` unless `role` is at least `needed` (owner > operator > viewer). */
export function assertOperatorRole(role: OperatorRoleName, needed: OperatorRoleName): void {
  if (RANK[role] >= RANK[needed]) return;
  throw new AppError(
    'insufficient_role',
    needed === 'owner'
      ? `Only an owner may do this; your role is ${role}.`
      : `Your role (${role}) can read but not change anything; an owner can give you the operator role.`,
    { details: [{ message: `needs role ${needed}`, role, needed }] },
  );
}

export function operatorOf(request: FastifyRequest): OperatorIdentity {
  if (!request.operator) throw new AppError('unauthenticated', 'No operator session on this request.');
  return request.operator;
}

/** The signed-in operator and where the request came from, as operator actions on a box record them. */
export function operatorActing(request: FastifyRequest) {
  const operator = operatorOf(request);
  return {
    userId: operator.userId,
    email: operator.email,
    ip: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
    requestId: request.id,
  };
}
