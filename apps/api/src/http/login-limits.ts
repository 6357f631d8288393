import { hashToken } from '@paddock/vault';
import type { FastifyReply } from 'fastify';
import { consumeOrUnavailable, refusal } from './front-door';
import { clientSubject, type RateLimiter } from './rate-limit';

/**
 * The subject of the per-account login limit: the account (a hash of its email, so Redis keeps no emails) *and* the
 * client's address (IPv6: its /56).
 *
 * Why per account and address, not per account alone: a limit per account alone lets anyone who knows an email lock
 * its owner out for as long as they keep knocking, from anywhere. Keyed with the address, the guesser locks out only
 * itself; the owner, from any address that has not been failing, logs in at once. What bounds guessing one account
 * from many addresses is each address's own limit (all accounts together), the password-work cap, and the
 * password policy; an operator who sees a distributed attack on one account revokes it and resets the password
 * rather than relying on a lock that would also keep the owner out.
 */
export function accountAttemptSubject(email: string, ip: string): string {
  return `${hashToken(email.trim().toLowerCase())}:${clientSubject(ip)}`;
}

/** Consumes one login (or password change) attempt for the subject; over the limit answers 429 with Retry-After. */
export async function limitAccountAttempts(limiter: RateLimiter, subject: string, reply: FastifyReply): Promise<void> {
  const decision = await consumeOrUnavailable(limiter, subject);
  if (!decision.allowed) throw refusal(reply, decision, 'Too many login attempts for this account from your address');
}
