import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@paddock/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Browser sessions (the console): the session token lives in a Secure, HttpOnly, SameSite=Strict cookie that page
 * scripts cannot read, instead of an Authorization header. A cookie rides along on every request the browser makes
 * to this origin, including ones another site triggers, so an unsafe request authenticated by the cookie must also
 * carry the CSRF token in a header (another site can neither read the token nor set a custom header without a CORS
 * preflight this API never grants). Bearer tokens (API keys, CLI sessions) are unchanged and need no CSRF token: a
 * browser never adds an Authorization header on its own.
 */
export type SessionKind = 'operator' | 'tenant';

export const SESSION_COOKIE: Record<SessionKind, string> = {
  operator: 'paddock_operator_session',
  tenant: 'paddock_session',
};

export const CSRF_HEADER = 'x-csrf-token';
/** A login asks for a cookie session with this header (value `cookie`); without it, login answers a bearer token. */
export const SESSION_MODE_HEADER = 'x-paddock-session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const TOKEN_SHAPE = /^[A-Za-z0-9._~+/=-]{16,512}$/;

/**
 * The CSRF token of a session, derived from its secret token: nothing to store, it dies with the session, and who
 * lacks the session token (httpOnly, so no page script has it) cannot compute it.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`paddock-csrf:${sessionToken}`).digest('base64url');
}

export function wantsCookieSession(request: FastifyRequest): boolean {
  return request.headers[SESSION_MODE_HEADER] === 'cookie';
}

/** The session cookie of this kind, when the request carries a well-formed one. */
export function sessionCookie(request: FastifyRequest, kind: SessionKind): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  const name = SESSION_COOKIE[kind];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return TOKEN_SHAPE.test(value) ? value : undefined;
  }
  return undefined;
}

/**
 * The credential a request presents: its bearer token, else its session cookie, whose unsafe requests must carry the
 * session's CSRF token (403 `csrf_failed` otherwise, before anything else about the request is looked at).
 */
export function presentedCredential(
  request: FastifyRequest,
  kind: SessionKind,
  bearer: string | undefined,
): string | undefined {
  if (bearer) return bearer;
  const cookie = sessionCookie(request, kind);
  if (!cookie) return undefined;
  if (!SAFE_METHODS.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !sameSecret(sent, csrfTokenFor(cookie))) {
      throw new AppError(
        'csrf_failed',
        `A request authenticated by the session cookie must send the session's CSRF token in ${CSRF_HEADER}.`,
      );
    }
  }
  return cookie;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Sets the session cookie. Secure: browsers treat http://127.0.0.1 and localhost as secure contexts, so the console
 * works on a developer's machine, and elsewhere only over TLS. Path / because the console (/console) calls /v1.
 */
export function setSessionCookie(reply: FastifyReply, kind: SessionKind, token: string, expiresAt: Date): void {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  reply.header(
    'set-cookie',
    `${SESSION_COOKIE[kind]}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Strict`,
  );
}

export function clearSessionCookie(reply: FastifyReply, kind: SessionKind): void {
  reply.header('set-cookie', `${SESSION_COOKIE[kind]}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict`);
}
