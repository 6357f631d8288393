import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import { authenticateOperator, type OperatorIdentity } from '@paddock/services';
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

/** An onRequest hook: runs before the body is read, so an anonymous caller learns nothing about the route's input. */
export function requireOperator(prisma: PrismaClient) {
  return async (request: FastifyRequest): Promise<void> => {
    // A bearer token, or the console's session cookie (with its CSRF check: browser-session.ts).
    const token = presentedCredential(request, 'operator', bearerToken(request));
    if (!token)
      throw new AppError(
        'unauthenticated',
        'This route needs an operator session: send Authorization: Bearer <token>.',
      );
    request.operator = await authenticateOperator(prisma, token);
  };
}

export function operatorOf(request: FastifyRequest): OperatorIdentity {
  if (!request.operator) throw new AppError('unauthenticated', 'No operator session on this request.');
  return request.operator;
}
