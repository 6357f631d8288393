/**
 * The one error type of Paddock. A `code` is machine-readable and stable; `message` is for a person and never
 * carries a stack or a secret. HTTP status is derived from the code in exactly one place (httpStatusFor).
 */
export const ERROR_CODES = {
  bad_request: 400,
  validation_failed: 400,
  invalid_json: 400,
  unauthenticated: 401,
  forbidden: 403,
  /** The caller is signed in but its role may not do this (an operator `viewer` writing, a member managing members). */
  insufficient_role: 403,
  /** The decision names its `approvers` and the caller is not one of them. */
  not_an_approver: 403,
  /** A request authenticated by a browser's session cookie did not carry that session's CSRF token. */
  csrf_failed: 403,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  /** A price version that rated usage is never edited: a new version supersedes it. */
  price_in_use: 409,
  /** A plan limit (details: `limit`, `current`, `maximum`) would be exceeded: remove something or change plan. */
  plan_limit_reached: 409,
  idempotency_conflict: 409,
  /** The month's hard spend cap is reached (details: `limit`, `current`, `maximum` in micros): no new runs. */
  spend_cap_reached: 402,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  /** The workspace already has as many live streams of this kind open as it may (terminal streams). */
  too_many_streams: 429,
  internal: 500,
  not_ready: 503,
  upstream_unavailable: 503,
  /** The API is shedding expensive work (e.g. password hashing under a login flood): try again after Retry-After. */
  overloaded: 503,
  /** PostgreSQL is down or restarting: nothing was done; try again after Retry-After (the API recovers by itself). */
  database_unavailable: 503,
  /** Redis (queues, rate limits) is unreachable: nothing was queued; try again after Retry-After. */
  redis_unavailable: 503,
  /** The tenant's box did not answer (unreachable, channel dropped, no answer in time): try again later. */
  box_unavailable: 503,
  /**
   * The tenant's box presented another SSH host key than the pinned one: the control plane refuses to talk to it until
   * an operator has checked the box and re-pinned its key. Not a "try again": repeating cannot help.
   */
  box_host_key_changed: 409,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetail {
  path?: string;
  message: string;
  [key: string]: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;

  constructor(code: ErrorCode, message: string, options?: { details?: ErrorDetail[]; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return httpStatusFor(this.code);
  }
}

export function httpStatusFor(code: ErrorCode): number {
  return ERROR_CODES[code];
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
