import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describePublicKey } from '@paddock/fleet';
import type { LocalBoxHarness } from '@paddock/providers';
import { parse } from 'yaml';

/**
 * A local stand-in for the Hetzner Cloud API (https://docs.hetzner.cloud), speaking the documented shapes of the
 * endpoints Paddock uses: servers (create, get, list with label_selector and pagination, delete), actions (polled
 * until success or error), ssh_keys (list by fingerprint, create), Bearer auth, error bodies, and rate limiting with
 * RateLimit-* headers and 429. Listens on 127.0.0.1 only. Creating a server can start a real local box (hook).
 */
export interface LocalHetznerOptions {
  token: string;
  rateLimit?: { limit: number; windowMs: number };
  /** Page size cap (the real API allows up to 50): small values make clients follow `next_page`. */
  maxPerPage?: number;
  onServerCreated?: (input: {
    id: number;
    name: string;
    userData: string;
    publicKeys: string[];
  }) => Promise<{ ip: string }>;
  onServerDeleted?: (input: { id: number; name: string }) => Promise<void>;
}

/**
 * Hooks that make each created server a real local test box (loopback 127.77.0.N) with the host key its cloud-init
 * user data carries, reachable with the ssh keys the request named; deleting the server destroys the box.
 */
export function serversAsLocalBoxes(
  harness: LocalBoxHarness,
): Pick<LocalHetznerOptions, 'onServerCreated' | 'onServerDeleted'> {
  return {
    onServerCreated: async ({ name, userData, publicKeys }) => {
      const config = parse(userData) as { ssh_keys: { ed25519_private: string; ed25519_public: string } };
      const hostKey = {
        privateKey: config.ssh_keys.ed25519_private,
        publicKey: config.ssh_keys.ed25519_public,
        ...describePublicKey(config.ssh_keys.ed25519_public),
      };
      const box = await harness.createBox({ name, authorizedKey: publicKeys[0] ?? '', hostKey });
      return { ip: box.host };
    },
    onServerDeleted: async ({ name }) => harness.destroyBox(name),
  };
}

interface ActionState {
  action: Record<string, unknown> & { id: number; status: string; progress: number };
  pollsLeft: number;
  failWith?: { code: string; message: string };
  onSuccess?: () => Promise<void> | void;
}

export interface LocalHetznerApi {
  url: string;
  requests: { method: string; path: string; at: number; status: number; body: unknown }[];
  servers: Map<number, Record<string, unknown>>;
  sshKeys: Map<number, Record<string, unknown>>;
  /** Next requests get 429 until `until` (ms epoch). */
  throttleUntil(until: number): void;
  close(): Promise<void>;
}

export async function startLocalHetznerApi(options: LocalHetznerOptions): Promise<LocalHetznerApi> {
  let nextId = 1000;
  const servers = new Map<number, Record<string, unknown>>();
  const sshKeys = new Map<number, Record<string, unknown>>();
  const actions = new Map<number, ActionState>();
  const requests: LocalHetznerApi['requests'] = [];
  let window = { start: Date.now(), count: 0 };
  let throttledUntil = 0;

  const newAction = (command: string, resourceId: number, state: Omit<ActionState, 'action'>) => {
    const id = nextId++;
    const action = {
      id,
      command,
      status: 'running',
      progress: 0,
      started: new Date().toISOString(),
      finished: null,
      resources: [{ id: resourceId, type: 'server' }],
      error: null,
    };
    actions.set(id, { action, ...state });
    return action;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: unknown) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const fail = (status: number, code: string, message: string) =>
      send(status, { error: { code, message, details: {} } });

    if (req.headers.authorization !== `Bearer ${options.token}`)
      return fail(401, 'unauthorized', 'unable to authenticate');
    const now = Date.now();
    const limit = options.rateLimit;
    if (limit && now - window.start >= limit.windowMs) window = { start: now, count: 0 };
    const resetAt = limit ? window.start + limit.windowMs : throttledUntil;
    if (limit) res.setHeader('RateLimit-Limit', String(limit.limit));
    if (now < throttledUntil || (limit && window.count >= limit.limit)) {
      res.setHeader('RateLimit-Remaining', '0');
      res.setHeader('RateLimit-Reset', String(Math.ceil(Math.max(resetAt, throttledUntil) / 1000)));
      return fail(429, 'rate_limit_exceeded', 'limit of requests per hour reached');
    }
    window.count++;
    if (limit) res.setHeader('RateLimit-Remaining', String(limit.limit - window.count));

    if (req.method === 'GET' && path === '/v1/ssh_keys') {
      const fingerprint = url.searchParams.get('fingerprint');
      const keys = [...sshKeys.values()].filter((k) => !fingerprint || k.fingerprint === fingerprint);
      return send(200, { ssh_keys: keys, meta: { pagination: page(1, 25, keys.length) } });
    }
    if (req.method === 'POST' && path === '/v1/ssh_keys') {
      const input = body as { name?: string; public_key?: string; labels?: Record<string, string> };
      if (!input.name || !input.public_key) return fail(400, 'invalid_input', 'name and public_key are required');
      const fingerprint = md5Fingerprint(input.public_key);
      if ([...sshKeys.values()].some((k) => k.fingerprint === fingerprint || k.name === input.name)) {
        return fail(409, 'uniqueness_error', 'SSH key with the same fingerprint or name already exists');
      }
      const key = {
        id: nextId++,
        name: input.name,
        fingerprint,
        public_key: input.public_key,
        labels: input.labels ?? {},
      };
      sshKeys.set(key.id, key);
      return send(201, { ssh_key: key });
    }
    if (req.method === 'POST' && path === '/v1/servers') {
      const input = body as {
        name?: string;
        server_type?: string;
        image?: string;
        ssh_keys?: (number | string)[];
        user_data?: string;
        labels?: Record<string, string>;
      };
      if (!input.name || !input.server_type || !input.image)
        return fail(400, 'invalid_input', 'name, server_type and image are required');
      if ([...servers.values()].some((s) => s.name === input.name))
        return fail(409, 'uniqueness_error', 'server name is already used');
      const keys = (input.ssh_keys ?? []).map((ref) =>
        [...sshKeys.values()].find((k) => k.id === ref || k.name === ref),
      );
      if (keys.some((k) => !k)) return fail(400, 'invalid_input', 'ssh key not found');
      const id = nextId++;
      const broken = input.server_type === 'cx-broken';
      const ip = broken
        ? '127.0.0.1'
        : ((
            await options.onServerCreated?.({
              id,
              name: input.name,
              userData: input.user_data ?? '',
              publicKeys: keys.map((k) => String(k?.public_key)),
            })
          )?.ip ?? '127.0.0.1');
      const server: Record<string, unknown> = {
        id,
        name: input.name,
        status: 'initializing',
        created: new Date().toISOString(),
        public_net: { ipv4: { ip, blocked: false }, ipv6: null },
        server_type: { name: input.server_type },
        image: { name: input.image },
        labels: input.labels ?? {},
      };
      servers.set(id, server);
      const create = newAction('create_server', id, {
        pollsLeft: 2,
        ...(broken ? { failWith: { code: 'server_error', message: 'no capacity for this server type' } } : {}),
        onSuccess: () => {
          server.status = 'starting';
        },
      });
      const start = newAction('start_server', id, {
        pollsLeft: 1,
        onSuccess: () => {
          server.status = 'running';
        },
      });
      return send(201, { server, action: create, next_actions: [start], root_password: null });
    }
    if (req.method === 'GET' && path === '/v1/servers') {
      const selector = url.searchParams.get('label_selector');
      const wanted = (selector ?? '')
        .split(',')
        .filter(Boolean)
        .map((p) => p.split('='));
      const matching = [...servers.values()].filter((s) =>
        wanted.every(([k, v]) => (s.labels as Record<string, string>)[k ?? ''] === v),
      );
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 25), options.maxPerPage ?? 50);
      const pageNumber = Number(url.searchParams.get('page') ?? 1);
      const slice = matching.slice((pageNumber - 1) * perPage, pageNumber * perPage);
      return send(200, { servers: slice, meta: { pagination: page(pageNumber, perPage, matching.length) } });
    }
    const serverMatch = /^\/v1\/servers\/(\d+)$/.exec(path);
    if (serverMatch) {
      const id = Number(serverMatch[1]);
      const server = servers.get(id);
      if (!server) return fail(404, 'not_found', `server with ID '${id}' not found`);
      if (req.method === 'GET') return send(200, { server });
      if (req.method === 'DELETE') {
        server.status = 'deleting';
        const action = newAction('delete_server', id, {
          pollsLeft: 1,
          onSuccess: async () => {
            servers.delete(id);
            await options.onServerDeleted?.({ id, name: String(server.name) });
          },
        });
        return send(200, { action });
      }
    }
    const actionMatch = /^\/v1\/actions\/(\d+)$/.exec(path);
    if (req.method === 'GET' && actionMatch) {
      const state = actions.get(Number(actionMatch[1]));
      if (!state) return fail(404, 'not_found', 'action not found');
      if (state.action.status === 'running') {
        state.pollsLeft--;
        state.action.progress = Math.min(99, state.action.progress + 50);
        if (state.pollsLeft <= 0) {
          state.action.finished = new Date().toISOString();
          if (state.failWith) {
            state.action.status = 'error';
            state.action.error = state.failWith;
          } else {
            state.action.status = 'success';
            state.action.progress = 100;
            await state.onSuccess?.();
          }
        }
      }
      return send(200, { action: state.action });
    }
    return fail(404, 'not_found', `no route ${req.method} ${path}`);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'json_error', message: 'invalid JSON' } }));
        return;
      }
      res.on('finish', () =>
        requests.push({ method: req.method ?? '', path: req.url ?? '', at: Date.now(), status: res.statusCode, body }),
      );
      handle(req, res, body).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'server_error', message: String(error) } }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    servers,
    sshKeys,
    throttleUntil: (until) => {
      throttledUntil = until;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function page(pageNumber: number, perPage: number, total: number) {
  const last = Math.max(1, Math.ceil(total / perPage));
  return {
    page: pageNumber,
    per_page: perPage,
    previous_page: pageNumber > 1 ? pageNumber - 1 : null,
    next_page: pageNumber < last ? pageNumber + 1 : null,
    last_page: last,
    total_entries: total,
  };
}

function md5Fingerprint(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? '', 'base64');
  return createHash('md5').update(blob).digest('hex').match(/../g)?.join(':') ?? '';
}
