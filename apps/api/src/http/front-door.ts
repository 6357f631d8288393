import { AppError } from '@paddock/contracts';
import type { FastifyInstance } from 'fastify';
import type { PasswordWorkLimits } from './password-work';
import type { RateLimitDecision, RateLimiter, RateLimitRule } from './rate-limit';

/** Limits that keep floods and guessing off the API (from the API's config; these defaults mirror it). */
export interface FrontDoorSettings {
  /** Operator login attempts per client address, and per operator account from one address. */
  operatorLoginPerAddress: RateLimitRule;
  operatorLoginPerAccount: RateLimitRule;
  /** Writes (POST, PUT, PATCH, DELETE) per workspace, whatever credential or address they come from. */
  tenantWrites: RateLimitRule;
  passwordWork: PasswordWorkLimits;
}

export const DEFAULT_FRONT_DOOR_SETTINGS: FrontDoorSettings = {
  operatorLoginPerAddress: { limit: 20, windowMs: 900_000 },
  operatorLoginPerAccount: { limit: 10, windowMs: 900_000 },
  tenantWrites: { limit: 600, windowMs: 60_000 },
  passwordWork: { concurrency: 4, queue: 32 },
};

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * One workspace's writes (runs, decisions, chains, secrets, replays, cancels...) share one budget, so a script gone
 * wild, or a leaked key, cannot flood the workspace's box, the queues and Postgres for everyone. A preHandler for the
 * whole app: it runs after the route's onRequest has authenticated the tenant, and does nothing on routes without one
 * (signup, operator routes, login).
 */
export function limitTenantWrites(app: FastifyInstance, limiter: RateLimiter): void {
  app.addHook('preHandler', async (request, reply) => {
    if (!request.tenant || READ_METHODS.has(request.method)) return;
    const decision = await consumeOrUnavailable(limiter, request.tenant.tenantId);
    if (!decision.allowed) {
      throw refusal(reply, decision, 'Too many changes from this workspace');
    }
  });
}

/** Consumes one unit; a Redis failure refuses (the safe side for a limit) with 503 instead of letting the flood in. */
export async function consumeOrUnavailable(limiter: RateLimiter, subject: string): Promise<RateLimitDecision> {
  try {
    return await limiter.consume(subject);
  } catch (error) {
    throw new AppError('upstream_unavailable', 'Rate limiting is unavailable right now; try again shortly.', {
      cause: error,
    });
  }
}

/** The 429 for a refused decision, with Retry-After in seconds. */
export function refusal(
  reply: { header(name: string, value: unknown): unknown },
  decision: RateLimitDecision,
  what: string,
): AppError {
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  reply.header('retry-after', seconds);
  return new AppError('rate_limited', `${what}; try again in ${seconds} s.`);
}
