import { randomUUID } from 'node:crypto';
import { seedPlans } from '@paddock/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, startTestApp, TEST_BODY_LIMIT, type TestApp } from './test-app';

// Walks every route the API has: bad input must be a clean 4xx in the error model and must write nothing.
describe('bad input on every route', () => {
  let t: TestApp;
  let operatorHeaders: Record<string, string>;
  let tenantHeaders: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp();
    await createOperator(t.prisma, 'ops@example.com', 'a long enough password');
    operatorHeaders = {
      authorization: `Bearer ${await loginAs(t.app, 'ops@example.com', 'a long enough password')}`,
    };
    await seedPlans(t.prisma);
    const signup = await t.app.inject({
      method: 'POST',
      url: '/v1/signup',
      headers: { 'idempotency-key': randomUUID() },
      payload: { email: 'walker@example.com', workspaceName: 'Walker', plan: 'starter' },
    });
    tenantHeaders = { authorization: `Bearer ${signup.json().apiKey.key}` };
  });
  afterAll(() => t.close());

  const rowCounts = async () => ({
    sessions: await t.prisma.session.count(),
    jobs: await t.prisma.jobRecord.count(),
    audit: await t.prisma.auditLog.count(),
    users: await t.prisma.user.count(),
    tenants: await t.prisma.tenant.count(),
    idempotency: await t.prisma.idempotencyRecord.count(),
    secrets: await t.prisma.tenantSecret.count(),
    chains: await t.prisma.chain.count(),
    chainVersions: await t.prisma.chainVersion.count(),
    runs: await t.prisma.run.count(),
    decisions: await t.prisma.decision.count(),
  });
  // Each route is called with the credentials it takes, so the walk reaches its input handling.
  const headersFor = (url: string) => (url.startsWith('/v1/operator/') ? operatorHeaders : tenantHeaders);
  // Params get values their schemas accept (ids and tenant ids UUIDs, versions numbers), so only the body is wrong.
  const concrete = (url: string) =>
    url
      .replace(/:(id|tenantId)\b/g, crypto.randomUUID())
      .replace(/:version\b/g, '1')
      .replace(/:(\w+)/g, 'x');
  const bodyRoutes = () => t.app.routeCatalog.filter((r) => r.hasBody);
  const queryRoutes = () => t.app.routeCatalog.filter((r) => r.hasQuery);

  it('has routes with bodies to check', () => {
    expect(bodyRoutes().length).toBeGreaterThanOrEqual(2);
    expect(queryRoutes().length).toBeGreaterThanOrEqual(1);
    const walked = t.app.routeCatalog.map((r) => `${r.method} ${r.url}`);
    expect(walked).toEqual(
      expect.arrayContaining(['POST /v1/signup', 'PUT /v1/secrets/:name', 'POST /v1/chains', 'GET /v1/usage']),
    );
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const before = await rowCounts();
    for (const route of bodyRoutes()) {
      const reply = await t.app.inject({
        method: route.method as 'POST',
        url: concrete(route.url),
        headers: { ...headersFor(route.url), 'content-type': 'application/json' },
        payload: '{"email": "a@b.c", ',
      });
      expect({ route: route.url, status: reply.statusCode }).toEqual({ route: route.url, status: 400 });
      expect(reply.json().error).toMatchObject({ code: 'invalid_json', requestId: expect.any(String) });
      expect(reply.body).not.toMatch(/at .*\.ts:\d+/);
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('answers wrong types with 400 validation_failed naming the fields', async () => {
    const before = await rowCounts();
    for (const route of bodyRoutes()) {
      const reply = await t.app.inject({
        method: route.method as 'POST',
        url: concrete(route.url),
        headers: headersFor(route.url),
        payload: { email: 42, password: ['x'], label: { a: 1 }, durationMs: 'soon', unexpected: true },
      });
      expect({ route: route.url, status: reply.statusCode }).toEqual({ route: route.url, status: 400 });
      const error = reply.json().error as { code: string; details: Array<{ path: string }> };
      expect(error.code).toBe('validation_failed');
      expect(error.details.length).toBeGreaterThan(0);
      for (const detail of error.details) expect(detail.path).toMatch(/^body/);
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('answers a non-object body with 400 and a body over the limit with 413', async () => {
    const before = await rowCounts();
    for (const route of bodyRoutes()) {
      const array = await t.app.inject({
        method: route.method as 'POST',
        url: concrete(route.url),
        headers: headersFor(route.url),
        payload: [1, 2],
      });
      expect(array.statusCode).toBe(400);
      const huge = await t.app.inject({
        method: route.method as 'POST',
        url: concrete(route.url),
        headers: headersFor(route.url),
        payload: { label: 'x'.repeat(TEST_BODY_LIMIT + 1), durationMs: 1 },
      });
      expect({ route: route.url, status: huge.statusCode }).toEqual({ route: route.url, status: 413 });
      expect(huge.json().error.code).toBe('payload_too_large');
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('answers a wrong content type with 415', async () => {
    for (const route of bodyRoutes()) {
      const reply = await t.app.inject({
        method: route.method as 'POST',
        url: concrete(route.url),
        headers: { ...headersFor(route.url), 'content-type': 'text/plain' },
        payload: 'hello',
      });
      expect(reply.statusCode).toBe(415);
      expect(reply.json().error.code).toBe('unsupported_media_type');
    }
  });

  it('answers bad query strings with 400 validation_failed', async () => {
    for (const route of queryRoutes()) {
      const reply = await t.app.inject({
        method: route.method as 'GET',
        url: `${concrete(route.url)}?limit=many&status=??`,
        headers: headersFor(route.url),
      });
      expect(reply.statusCode).toBe(400);
      expect(reply.json().error.details.map((d: { path: string }) => d.path)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^querystring/)]),
      );
    }
  });
});
