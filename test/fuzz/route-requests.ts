import fc from 'fast-check';
import type { RouteEntry } from '../../apps/api/src/server';
import { hostileString, type Pollution, pollution, toJsonText } from '../support/hostile-values';
import { zodArbitrary } from '../support/zod-arbitrary';

// Generated requests for one route of the API, from the zod schemas the route declares (params, query string,
// headers, body), with hostile values mixed in at every level and hostile credentials, content types and headers.

export type Credential = 'own' | 'other' | 'none' | 'junk';

export interface GeneratedRequest {
  method: string;
  path: string;
  credential: Credential;
  /** For tenant routes: whether the tenant calls with its API key or a user session. */
  tenantKind: 'apiKey' | 'session';
  junkAuthorization: string;
  headers: Record<string, string>;
  body?: string;
  pollution: Pollution;
}

/** Values a path parameter can take that exist (ids and names of rows made in setup), so requests reach rows. */
export type KnownValues = readonly string[];

const credential: fc.Arbitrary<Credential> = fc.oneof(
  { arbitrary: fc.constant<Credential>('own'), weight: 12 },
  { arbitrary: fc.constantFrom<Credential>('other', 'none', 'junk'), weight: 1 },
);

const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 12 },
  {
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '',
    ),
    weight: 1,
  },
);

/** Header values must be latin-1 printable to be sent at all: anything else is replaced, not dropped. */
function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 8_000);
}

const junkHeaderValue = hostileString.map(headerSafe);

const extraHeaders = fc.record(
  {
    'x-request-id': fc.oneof(fc.uuid(), junkHeaderValue),
    'idempotency-key': fc.oneof(fc.uuid(), junkHeaderValue),
    'x-forwarded-for': fc.oneof(fc.ipV4(), fc.ipV6(), junkHeaderValue),
    accept: fc.constantFrom('application/json', 'text/event-stream', '*/*', 'text/html'),
    'last-event-id': fc.oneof(fc.nat().map(String), junkHeaderValue),
  },
  { requiredKeys: [] },
);

function segment(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  try {
    return encodeURIComponent(text);
  } catch {
    // A lone surrogate cannot be encoded as UTF-8: send the invalid bytes a client could still send.
    return '%ED%A0%80';
  }
}

function paramArbitrary(schema: unknown, known: KnownValues): fc.Arbitrary<string> {
  const generated = (schema ? zodArbitrary(schema) : fc.string()).map(segment);
  const raw = fc.constantFrom('%', '%ff', '%00', '..', '.', '%2e%2e', 'a'.repeat(101), '%2F', ';', '*');
  const arbitraries: Array<fc.WeightedArbitrary<string>> = [
    { arbitrary: generated, weight: 4 },
    { arbitrary: raw, weight: 1 },
  ];
  if (known.length > 0) arbitraries.push({ arbitrary: fc.constantFrom(...known).map(segment), weight: 4 });
  return fc.oneof(...arbitraries);
}

function paramsOf(route: RouteEntry, known: KnownValues): fc.Arbitrary<string> {
  const names = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1] ?? '');
  const shape = paramShape(route.schema.params);
  const values = names.map((name) => paramArbitrary(shape[name], known));
  return fc.tuple(...values).map((parts) => {
    let i = 0;
    return route.url.replace(/:(\w+)/g, () => parts[i++] ?? '');
  });
}

function paramShape(schema: unknown): Record<string, unknown> {
  const def = (schema as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def;
  return def?.shape ?? {};
}

function queryOf(route: RouteEntry): fc.Arbitrary<string> {
  if (!route.schema.querystring) {
    return fc
      .option(fc.constantFrom('?x=1', '?__proto__[polluted]=yes', '?a=%ff', '?limit=-1'), { freq: 5 })
      .map((q) => q ?? '');
  }
  return zodArbitrary(route.schema.querystring).map((value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return `?${segment(value)}`;
    const pairs: string[] = [];
    for (const [key, entry] of Object.entries(value)) {
      for (const item of Array.isArray(entry) ? entry : [entry]) {
        if (item === undefined) continue;
        const text = item === null ? '' : typeof item === 'object' ? JSON.stringify(item) : String(item);
        pairs.push(`${segment(key)}=${segment(text)}`);
      }
    }
    return pairs.length > 0 ? `?${pairs.join('&')}` : '';
  });
}

function bodyOf(route: RouteEntry): fc.Arbitrary<{ text?: string; pollution: Pollution }> {
  if (!route.schema.body) {
    return fc.option(fc.constantFrom('{}', '[]', '"x"', '{"a":1}'), { freq: 4 }).map((text) => ({
      ...(text === null ? {} : { text }),
      pollution: 'none' as const,
    }));
  }
  return fc.tuple(zodArbitrary(route.schema.body), pollution).map(([value, pollute]) => ({
    text: toJsonText(value, pollute),
    pollution: pollute,
  }));
}

function declaredHeaders(route: RouteEntry): fc.Arbitrary<Record<string, string>> {
  if (!route.schema.headers) return fc.constant({});
  return zodArbitrary(route.schema.headers).map((value) => {
    if (typeof value !== 'object' || value === null) return {};
    const out: Record<string, string> = {};
    for (const [key, entry] of Object.entries(value)) {
      if (entry === undefined || !/^[a-z0-9-]+$/i.test(key)) continue;
      out[key.toLowerCase()] = headerSafe(typeof entry === 'string' ? entry : JSON.stringify(entry));
    }
    return out;
  });
}

/** Every part of a request to `route`, generated. */
export function routeRequests(route: RouteEntry, known: KnownValues): fc.Arbitrary<GeneratedRequest> {
  return fc
    .record({
      path: paramsOf(route, known),
      query: queryOf(route),
      body: bodyOf(route),
      credential,
      tenantKind: fc.constantFrom<'apiKey' | 'session'>('apiKey', 'session'),
      junkAuthorization: fc.oneof(
        fc.constantFrom('Bearer ', 'Bearer pdk_live_x_y', 'Bearer pds_', 'Basic YTpi', 'bearer', 'Bearer  '),
        junkHeaderValue.map((v) => `Bearer ${v}`),
      ),
      declared: declaredHeaders(route),
      extra: extraHeaders,
      contentType,
    })
    .map((r) => {
      const headers: Record<string, string> = { ...r.extra, ...r.declared };
      if (r.body.text !== undefined) headers['content-type'] = r.contentType;
      return {
        method: route.method,
        path: `${r.path}${r.query}`,
        credential: r.credential,
        tenantKind: r.tenantKind,
        junkAuthorization: r.junkAuthorization,
        headers,
        ...(r.body.text === undefined ? {} : { body: r.body.text }),
        pollution: r.body.pollution,
      };
    });
}
