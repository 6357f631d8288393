import { ProviderError } from '../box-provider';
import type {
  CreateServerInput,
  HetznerAction,
  HetznerPagination,
  HetznerServer,
  HetznerSshKey,
} from './hetzner-types';

export interface HetznerClientOptions {
  token: string;
  /** Default https://api.hetzner.cloud/v1; tests point it at a local server. */
  baseUrl?: string;
  /** Longest wait for a rate-limit reset before giving up. Default 60 s. */
  maxRateLimitWaitMs?: number;
  /** Between polls of a running action. Default 1 s (Hetzner actions take seconds). */
  actionPollMs?: number;
  /** Per request. Default 30 s. */
  requestTimeoutMs?: number;
}

/** An error answer of the API: `{ "error": { "code", "message" } }` with its HTTP status. */
export class HetznerApiError extends ProviderError {
  constructor(
    readonly httpStatus: number,
    readonly apiCode: string,
    message: string,
  ) {
    super(
      httpStatus === 429 ? 'rate_limited' : httpStatus === 404 ? 'not_found' : 'api_error',
      `Hetzner API: ${apiCode}: ${message}`,
    );
  }
}

/**
 * A small client for the Hetzner Cloud endpoints Paddock uses. It honours 429 answers by waiting until the
 * `RateLimit-Reset` time the API sends (Unix seconds) and trying again, within `maxRateLimitWaitMs`.
 */
export class HetznerClient {
  private readonly baseUrl: string;
  private readonly maxRateLimitWaitMs: number;
  private readonly actionPollMs: number;
  private readonly requestTimeoutMs: number;

  constructor(private readonly options: HetznerClientOptions) {
    this.baseUrl = (options.baseUrl ?? 'https://api.hetzner.cloud/v1').replace(/\/$/, '');
    this.maxRateLimitWaitMs = options.maxRateLimitWaitMs ?? 60_000;
    this.actionPollMs = options.actionPollMs ?? 1_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  async createServer(input: CreateServerInput) {
    return this.request<{ server: HetznerServer; action: HetznerAction; next_actions: HetznerAction[] }>(
      'POST',
      '/servers',
      input,
    );
  }

  /** The server, or null when the API does not know it (404). */
  async getServer(id: number): Promise<HetznerServer | null> {
    try {
      return (await this.request<{ server: HetznerServer }>('GET', `/servers/${id}`)).server;
    } catch (error) {
      if (error instanceof HetznerApiError && error.httpStatus === 404) return null;
      throw error;
    }
  }

  async deleteServer(id: number): Promise<HetznerAction | null> {
    try {
      return (await this.request<{ action: HetznerAction }>('DELETE', `/servers/${id}`)).action;
    } catch (error) {
      if (error instanceof HetznerApiError && error.httpStatus === 404) return null;
      throw error;
    }
  }

  /** Every server matching the label selector, across pages. */
  async listServers(labelSelector: string): Promise<HetznerServer[]> {
    const servers: HetznerServer[] = [];
    for (let page: number | null = 1; page !== null; ) {
      const query = new URLSearchParams({ label_selector: labelSelector, page: String(page), per_page: '50' });
      const answer: { servers: HetznerServer[]; meta: { pagination: HetznerPagination } } = await this.request(
        'GET',
        `/servers?${query}`,
      );
      servers.push(...answer.servers);
      page = answer.meta.pagination.next_page;
    }
    return servers;
  }

  async findSshKeyByFingerprint(md5Fingerprint: string): Promise<HetznerSshKey | null> {
    const query = new URLSearchParams({ fingerprint: md5Fingerprint });
    const answer = await this.request<{ ssh_keys: HetznerSshKey[] }>('GET', `/ssh_keys?${query}`);
    return answer.ssh_keys[0] ?? null;
  }

  async createSshKey(input: {
    name: string;
    public_key: string;
    labels: Record<string, string>;
  }): Promise<HetznerSshKey> {
    return (await this.request<{ ssh_key: HetznerSshKey }>('POST', '/ssh_keys', input)).ssh_key;
  }

  async getAction(id: number): Promise<HetznerAction> {
    return (await this.request<{ action: HetznerAction }>('GET', `/actions/${id}`)).action;
  }

  /** Polls an action until it ends; an `error` ending becomes a ProviderError carrying the API's reason. */
  async waitForAction(action: HetznerAction, timeoutMs = 10 * 60_000): Promise<HetznerAction> {
    const deadline = Date.now() + timeoutMs;
    let current = action;
    while (current.status === 'running') {
      if (Date.now() > deadline)
        throw new ProviderError(
          'timeout',
          `Hetzner action ${current.command} (${current.id}) still running after ${timeoutMs} ms`,
        );
      await sleep(this.actionPollMs);
      current = await this.getAction(current.id);
    }
    if (current.status === 'error') {
      throw new ProviderError(
        'action_failed',
        `Hetzner action ${current.command} failed: ${current.error?.code}: ${current.error?.message}`,
      );
    }
    return current;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const started = Date.now();
    for (;;) {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      }).catch((cause: unknown) => {
        throw new ProviderError('api_error', `Hetzner API unreachable (${method} ${path.split('?')[0]})`, { cause });
      });
      if (response.status === 429) {
        const waitMs = rateLimitWait(response.headers.get('ratelimit-reset'));
        if (Date.now() + waitMs - started > this.maxRateLimitWaitMs) {
          throw new HetznerApiError(
            429,
            'rate_limit_exceeded',
            `still rate limited after ${this.maxRateLimitWaitMs} ms`,
          );
        }
        await response.body?.cancel();
        await sleep(waitMs);
        continue;
      }
      const text = await response.text();
      let parsed: unknown = {};
      try {
        if (text !== '') parsed = JSON.parse(text);
      } catch {
        throw new HetznerApiError(response.status, 'invalid_response', `not JSON (${method} ${path.split('?')[0]})`);
      }
      if (!response.ok) {
        const error = (parsed as { error?: { code?: string; message?: string } }).error;
        throw new HetznerApiError(
          response.status,
          error?.code ?? `http_${response.status}`,
          error?.message ?? response.statusText,
        );
      }
      return parsed as T;
    }
  }
}

// RateLimit-Reset is the Unix time (seconds) at which the limit is refilled. A missing or odd header waits 1 s.
function rateLimitWait(reset: string | null): number {
  const at = Number(reset);
  if (!reset || !Number.isFinite(at)) return 1_000;
  return Math.min(Math.max(at * 1000 - Date.now(), 50), 60_000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
