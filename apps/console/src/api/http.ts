import type { ErrorReplySchema } from '@paddock/contracts';
import type { z } from 'zod';

type ErrorReply = z.infer<typeof ErrorReplySchema>;

/**
 * The console's one way to call the API: same origin, the session in an httpOnly cookie the browser sends itself,
 * and the session's CSRF token on every unsafe request (the API refuses cookie-authenticated writes without it).
 */
// One per kind of session: a browser may hold an operator's and a member's at once, each with its own token.
const csrfTokens = { operator: null as string | null, workspace: null as string | null };

export function setCsrfToken(area: 'operator' | 'workspace', token: string | null): void {
  csrfTokens[area] = token;
}

// Told of every 401: a signed-in console whose session expired or was revoked goes back to its login form
// (api/session-expiry.ts). The area is the API's: operator routes or the workspace's.
type UnauthorizedListener = (area: 'operator' | 'workspace') => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const csrfToken = csrfTokens[path.startsWith('/v1/operator/') ? 'operator' : 'workspace'];
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    if (response.status === 401) {
      for (const listener of unauthorizedListeners)
        listener(path.startsWith('/v1/operator/') ? 'operator' : 'workspace');
    }
    const error = (parsed as ErrorReply | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${response.status}`);
  }
  return parsed as T;
}

/** A query string from the defined values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
