import type { AddressInfo } from 'node:net';
import { seedPlans } from '@paddock/db';
import { hashPassword } from '@paddock/vault';
import { createTestDatabase, readFuzzSettings } from '@paddock/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteEntry } from '../../apps/api/src/server';
import { createOperator, loginAs, startTestApp, type TestApp } from '../../apps/api/src/test-app';
import { errorShapeProblem } from '../support/error-shape';
import { prototypePolluted } from '../support/hostile-values';
import { keepAliveAgent, sendRaw } from '../support/raw-http';
import { installWriteCounter, type WriteCounter, writesBetween } from '../support/write-counter';
import { logIn, signUpWithPassword } from '../tenant/support';
import { type GeneratedRequest, routeRequests } from './route-requests';

// Every route the API has, fuzzed: generated params, query strings, headers and bodies (from the route's own zod
// schemas, with boundary values, wrong types, extra keys and prototype-pollution keys mixed in), as the tenant or
// operator the route is for and as the wrong one. Whatever comes in: never a 500, every error in the one error
// shape with the status its code maps to, no internals in a reply, and a rejected request (4xx) writes no row.
// Routes are read from the server's own catalog (its onRoute hook), so a new route is fuzzed without a change here.

const settings = readFuzzSettings();
// Short profile: 8 cases per route (about 90 routes); `PADDOCK_FUZZ_RUNS=200` or more for the long one.
const RUNS_PER_ROUTE = settings.runs(8);

/**
 * Cases the fuzzer found, replayed first on every run (fast-check `examples`), each with the fix it led to.
 * Keyed by route; a failure prints the request to add here.
 */
const REGRESSIONS: Record<string, GeneratedRequest[]> = {
  // A NUL in a query-string filter reached PostgreSQL (which refuses it in text) and came back as a 500: the API now
  // refuses NUL in any param, query or body value at the door (apps/api/src/http/refuse-unstorable-text.ts).
  'GET /v1/operator/billing/model-prices': [
    {
      method: 'GET',
      path: '/v1/operator/billing/model-prices?model=a%00b',
      credential: 'own',
      tenantKind: 'apiKey',
      junkAuthorization: 'Bearer ',
      headers: {},
      pollution: 'none',
    },
  ],
  // A lone surrogate in a value stored as jsonb (the release job's payload) made PostgreSQL refuse the JSON: a 500.
  // Refused at the door as well (same file).
  'POST /v1/operator/releases': [
    {
      method: 'POST',
      path: '/v1/operator/releases',
      credential: 'own',
      tenantKind: 'apiKey',
      junkAuthorization: 'Bearer ',
      headers: { 'content-type': 'application/json' },
      body: '{"notes":"x\\ud800y"}',
      pollution: 'none',
    },
  ],
};

const CHAIN = `name: fuzzed
agents:
  draft:
    run: claude -p
    prompt: prompts/draft.md
  review:
    needs: [draft]
    decision:
      prompt: Ship it?
      show: draft
`;

describe('every API route under generated hostile input', () => {
  let t: TestApp;
  let writes: WriteCounter;
  let port: number;
  const agent = keepAliveAgent();
  const tokens = { operator: '', tenantKey: '', tenantSession: '' };
  let tenantLogin = { email: '', password: '' };
  let known: string[] = [];

  async function renewOperator() {
    // The fuzzer is an owner: a generated request may reset its own password, change its role or end its sessions
    // (all legitimate for an owner). The account is restored as it began before logging in again.
    await t.prisma.user.update({
      where: { email: 'fuzz-ops@example.com' },
      data: {
        operatorRole: 'owner',
        disabledAt: null,
        passwordHash: await hashPassword('a long enough password'),
      },
    });
    tokens.operator = await loginAs(t.app, 'fuzz-ops@example.com', 'a long enough password');
  }
  async function renewTenant() {
    const ws = await signUpWithPassword(t.app, 'fuzz');
    tokens.tenantKey = ws.apiKey;
    tenantLogin = { email: ws.email, password: ws.password };
    tokens.tenantSession = (await logIn(t.app, ws.email, ws.password)).token;
    const chain = await t.app.inject({
      method: 'POST',
      url: '/v1/chains',
      headers: { authorization: `Bearer ${ws.apiKey}` },
      payload: { definition: CHAIN, files: { 'prompts/draft.md': 'Draft it.\n' } },
    });
    expect(chain.statusCode).toBe(201);
    const secret = await t.app.inject({
      method: 'PUT',
      url: '/v1/secrets/FUZZ_TOKEN',
      headers: { authorization: `Bearer ${ws.apiKey}` },
      payload: { value: 'not really secret' },
    });
    expect(secret.statusCode).toBeLessThan(300);
  }

  /** Ids and names of rows that exist, so generated paths reach real rows and not only 404s. */
  async function knownValues(): Promise<string[]> {
    const rows = await t.prisma.$queryRaw<Array<{ value: string }>>`
      SELECT id::text AS value FROM tenants UNION SELECT id::text FROM users UNION SELECT id::text FROM workflows
      UNION SELECT id::text FROM job_records UNION SELECT id::text FROM plans UNION SELECT code FROM plans
      UNION SELECT id::text FROM chains UNION SELECT name FROM chains UNION SELECT id::text FROM chain_versions
      UNION SELECT version::text FROM chain_versions UNION SELECT name FROM tenant_secrets LIMIT 60`;
    return [...rows.map((row) => row.value), 'current', '1', '0', '-1'];
  }

  beforeAll(async () => {
    const database = await createTestDatabase();
    t = await startTestApp({ database });
    await seedPlans(t.prisma);
    await createOperator(t.prisma, 'fuzz-ops@example.com', 'a long enough password');
    await renewOperator();
    await renewTenant();
    known = await knownValues();
    writes = await installWriteCounter(database.ownerUrl);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    agent.destroy();
    await writes?.close();
    await t?.close();
  });

  function authorizationFor(route: RouteEntry, request: GeneratedRequest): string | undefined {
    const operatorRoute = route.url.startsWith('/v1/operator/');
    const tenantToken = request.tenantKind === 'apiKey' ? tokens.tenantKey : tokens.tenantSession;
    switch (request.credential) {
      case 'own':
        return `Bearer ${operatorRoute ? tokens.operator : tenantToken}`;
      case 'other':
        return `Bearer ${operatorRoute ? tenantToken : tokens.operator}`;
      case 'junk':
        return request.junkAuthorization;
      case 'none':
        return undefined;
    }
  }

  /** Sessions the fuzzing ended (a logout, a password change) are renewed, so later routes still get in. */
  async function renewEndedCredentials() {
    const operator = await t.app.inject({
      method: 'GET',
      url: '/v1/operator/tenants',
      headers: { authorization: `Bearer ${tokens.operator}` },
    });
    const account = await t.prisma.user.findUnique({ where: { email: 'fuzz-ops@example.com' } });
    if (operator.statusCode === 401 || account?.operatorRole !== 'owner') await renewOperator();
    for (const token of [tokens.tenantKey, tokens.tenantSession]) {
      const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
      if (me.statusCode === 401) {
        const session = await t.app.inject({
          method: 'POST',
          url: '/v1/sessions',
          payload: tenantLogin,
        });
        if (session.statusCode === 201 && token === tokens.tenantSession) tokens.tenantSession = session.json().token;
        else await renewTenant();
        break;
      }
    }
  }

  it('reads every route from the server, tenant and operator alike', () => {
    const routes = t.app.routeCatalog.map((r) => `${r.method} ${r.url}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /v1/signup',
        'POST /v1/chains',
        'PUT /v1/secrets/:name',
        'GET /v1/operator/tenants',
        'POST /v1/operator/rollouts',
      ]),
    );
  });

  it('answers generated requests on every route without a 500, in the error shape, writing nothing on rejection', {
    timeout: 600_000,
  }, async () => {
    const routes = t.app.routeCatalog.filter((r) => !r.url.startsWith('/docs'));
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(routeRequests(route, known), async (request) => {
          const authorization = authorizationFor(route, request);
          const before = await writes.read();
          const reply = await sendRaw(agent, port, {
            method: request.method,
            path: request.path,
            headers: { ...request.headers, ...(authorization ? { authorization } : {}) },
            ...(request.body === undefined ? {} : { body: request.body }),
          });
          const where = `${route.method} ${route.url} -> ${reply.status}`;
          expect(reply.status, `${where}: ${reply.body.slice(0, 500)}`).not.toBe(500);
          if (reply.status >= 400) {
            const problem = errorShapeProblem(reply.status, reply.headers['content-type'] as string, reply.body);
            expect(problem, `${where}: ${reply.body.slice(0, 500)}`).toBeNull();
          }
          if (reply.status >= 400 && reply.status < 500) {
            expect(writesBetween(before, await writes.read()), `${where}: ${reply.body.slice(0, 300)}`).toEqual({});
          }
          expect(prototypePolluted(), where).toBe(false);
        }),
        {
          numRuns: RUNS_PER_ROUTE,
          seed: settings.seed,
          examples: (REGRESSIONS[`${route.method} ${route.url}`] ?? []).map((request) => [request]),
        },
      );
      await renewEndedCredentials();
    }
    expect(routes.length).toBeGreaterThan(20);
  });

  it('still serves its own tenant after the fuzzing (nothing the fuzzer sent broke the process)', async () => {
    await renewEndedCredentials();
    const me = await t.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${tokens.tenantKey}` },
    });
    expect(me.statusCode).toBe(200);
  });
});
