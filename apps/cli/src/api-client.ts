import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { createParser } from 'eventsource-parser';
import { ApiError, CliError } from './errors';
import { requestUpgrade } from './http-upgrade';

export type Query = Record<string, string | number | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * The operator API over HTTP: the only thing the CLI talks to. Every request carries one request id per CLI
 * invocation, so an operator can quote it and the server's log (and the jobs it enqueued) can be found by it.
 */
export class ApiClient {
  readonly requestId = `cli-${randomUUID()}`;

  constructor(
    readonly server: string,
    private readonly token: string | undefined,
  ) {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, query ? { query } : {});
  }

  post<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T> {
    return this.request<T>('POST', path, { body, ...(headers ? { headers } : {}) });
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /**
   * Follows a Server-Sent Events stream (parsed by eventsource-parser) until the server ends it or `signal` aborts;
   * `onEvent` gets each event's name and its JSON data.
   */
  async stream(path: string, onEvent: (event: string, data: unknown) => void, signal?: AbortSignal): Promise<void> {
    const url = new URL(path, this.server);
    const headers: Record<string, string> = { accept: 'text/event-stream', 'x-request-id': this.requestId };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(url, { headers, ...(signal ? { signal } : {}) });
    } catch (error) {
      throw new CliError(`cannot reach ${this.server}: ${describeFetchFailure(error)}`);
    }
    if (!response.ok || !response.body) throw toApiError(response, await response.text());
    const parser = createParser({
      onEvent: (message) => onEvent(message.event ?? 'message', JSON.parse(message.data)),
    });
    const decoder = new TextDecoder();
    for await (const chunk of response.body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
  }

  /** An HTTP upgrade to `protocol` (the operator shell): the raw connection, or the API's refusal as an ApiError. */
  async upgrade(path: string, protocol: string, query: Query = {}): Promise<{ socket: Duplex; head: Buffer }> {
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { 'x-request-id': this.requestId };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const outcome = await requestUpgrade(url, protocol, headers).catch((error: unknown) => {
      throw new CliError(`cannot reach ${this.server}: ${describeFetchFailure(error)}`);
    });
    if (outcome.kind === 'upgraded') return outcome;
    const response = new Response(null, {
      // A Response takes 200-599 only; anything else is no answer of our API.
      status: outcome.status >= 200 && outcome.status <= 599 ? outcome.status : 502,
      headers: outcome.requestId ? { 'x-request-id': outcome.requestId } : {},
    });
    throw toApiError(response, outcome.body);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', 'x-request-id': this.requestId };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { ...headers, ...options.headers },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      throw new CliError(`cannot reach ${this.server}: ${describeFetchFailure(error)}`);
    }
    const text = await response.text();
    if (response.ok) return (text.length > 0 ? JSON.parse(text) : null) as T;
    throw toApiError(response, text);
  }
}

function toApiError(response: Response, text: string): ApiError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  const requestId = response.headers.get('x-request-id') ?? undefined;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    const details = Array.isArray(error.details) ? (error.details as Array<{ path?: string; message?: string }>) : [];
    return new ApiError(response.status, error.code, error.message, details, requestId);
  }
  // Not our API's error model (a proxy's page, a wrong URL): say what came back, briefly.
  return new ApiError(
    response.status,
    `http_${response.status}`,
    `${response.statusText || 'HTTP error'}`,
    [],
    requestId,
  );
}

function describeFetchFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer within 60 s';
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}
