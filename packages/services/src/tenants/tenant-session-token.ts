import { randomBytes } from 'node:crypto';
import { hashToken } from '@paddock/vault';

const TENANT_SESSION_TOKEN = /^pds_[A-Za-z0-9_-]{43}$/;

/**
 * `pds_<43 chars: 256 random bits>`. The prefix tells a session from an API key (`pdk_`) at a glance (for people,
 * secret scanners and the tenant auth hook, which routes by it); only the sha256 of the token is stored.
 */
export function generateTenantSessionToken(): { token: string; hash: string } {
  const token = `pds_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

/** True for a well-formed tenant session token: garbage is refused before it reaches the database. */
export function isTenantSessionToken(token: string): boolean {
  return TENANT_SESSION_TOKEN.test(token);
}
