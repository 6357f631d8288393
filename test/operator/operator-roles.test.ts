import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, startTestApp, type TestApp } from '../../apps/api/src/test-app';

// Every operator write route, found in the OpenAPI document (so a route added later is covered without editing this
// test), is refused to a viewer with 403 insufficient_role before its body is read; only owners manage operators.
const PASSWORD = 'correct horse battery staple';
const WRITE_METHODS = ['post', 'put', 'patch', 'delete'] as const;
// Routes that take no operator session at all (logging in, redeeming a link) or any role (logging out).
const OPEN = new Set(['POST /v1/operator/sessions', 'POST /v1/operator/accounts/accept']);
const ANY_ROLE = new Set(['DELETE /v1/operator/sessions/current']);
const OWNER_ONLY = /^\/v1\/operator\/accounts(\/|$)/;

let t: TestApp;
const tokens: Record<'owner' | 'operator' | 'viewer', string> = { owner: '', operator: '', viewer: '' };

beforeAll(async () => {
  t = await startTestApp();
  for (const role of ['owner', 'operator', 'viewer'] as const) {
    await createOperator(t.prisma, `${role}@example.com`, PASSWORD, role);
    tokens[role] = await loginAs(t.app, `${role}@example.com`, PASSWORD);
  }
});
afterAll(() => t.close());

const as = (role: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[role]}` });

async function operatorWrites(): Promise<Array<{ method: string; url: string; key: string; path: string }>> {
  const doc = (await t.app.inject({ url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
  const routes = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (!path.startsWith('/v1/operator/')) continue;
    for (const method of WRITE_METHODS) {
      if (!methods[method]) continue;
      const key = `${method.toUpperCase()} ${path}`;
      if (OPEN.has(key) || ANY_ROLE.has(key)) continue;
      // Any well-formed id: the role is refused before the route looks anything up.
      const url = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
      routes.push({ method: method.toUpperCase(), url, key, path });
    }
  }
  return routes;
}

describe('operator roles', () => {
  it('refuses every write route to a viewer with 403 insufficient_role, and changes nothing', async () => {
    const routes = await operatorWrites();
    // The document lists the routes this test relies on (a broken document would make the loop vacuous).
    expect(routes.map((r) => r.key)).toEqual(
      expect.arrayContaining([
        'POST /v1/operator/jobs/probe',
        'POST /v1/operator/rollouts',
        'POST /v1/operator/plans',
        'POST /v1/operator/accounts',
        'PUT /v1/operator/accounts/{id}/role',
      ]),
    );
    const auditBefore = await t.prisma.auditLog.count();
    const jobsBefore = await t.prisma.jobRecord.count();
    for (const route of routes) {
      const reply = await t.app.inject({
        method: route.method as 'POST',
        url: route.url,
        headers: as('viewer'),
        payload: {},
      });
      expect(reply.statusCode, `${route.key}: ${reply.body}`).toBe(403);
      expect(reply.json().error.code, route.key).toBe('insufficient_role');
    }
    expect(await t.prisma.auditLog.count()).toBe(auditBefore);
    expect(await t.prisma.jobRecord.count()).toBe(jobsBefore);
  });

  it('lets a viewer read and log out', async () => {
    for (const url of ['/v1/operator/tenants', '/v1/operator/jobs', '/v1/operator/accounts', '/v1/operator/audit']) {
      const reply = await t.app.inject({ url, headers: as('viewer') });
      expect(reply.statusCode, `${url}: ${reply.body}`).toBe(200);
    }
    const viewer2 = await createOperator(t.prisma, 'viewer2@example.com', PASSWORD, 'viewer');
    const token = await loginAs(t.app, 'viewer2@example.com', PASSWORD);
    const out = await t.app.inject({
      method: 'DELETE',
      url: '/v1/operator/sessions/current',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(out.statusCode).toBe(204);
    expect(await t.prisma.session.count({ where: { userId: viewer2.id, revokedAt: null } })).toBe(0);
  });

  it('lets an operator change the platform but not the operators; an owner does both', async () => {
    const probe = await t.app.inject({
      method: 'POST',
      url: '/v1/operator/jobs/probe',
      headers: as('operator'),
      payload: { label: 'by-operator', durationMs: 1 },
    });
    expect(probe.statusCode, probe.body).toBe(202);
    const routes = (await operatorWrites()).filter((r) => OWNER_ONLY.test(r.path));
    expect(routes.length).toBeGreaterThanOrEqual(5);
    for (const route of routes) {
      const reply = await t.app.inject({
        method: route.method as 'POST',
        url: route.url,
        headers: as('operator'),
        payload: {},
      });
      expect(reply.statusCode, route.key).toBe(403);
      expect(reply.json().error.code).toBe('insufficient_role');
    }
    const invited = await t.app.inject({
      method: 'POST',
      url: '/v1/operator/accounts',
      headers: as('owner'),
      payload: { email: 'new-op@example.com', role: 'operator' },
    });
    expect(invited.statusCode, invited.body).toBe(201);
  });

  it('keeps one enabled owner: the last owner cannot be demoted or disabled, nor disable itself', async () => {
    const owner = await t.prisma.user.findUniqueOrThrow({ where: { email: 'owner@example.com' } });
    const demote = await t.app.inject({
      method: 'PUT',
      url: `/v1/operator/accounts/${owner.id}/role`,
      headers: as('owner'),
      payload: { role: 'viewer' },
    });
    expect(demote.statusCode).toBe(409);
    const disableSelf = await t.app.inject({
      method: 'POST',
      url: `/v1/operator/accounts/${owner.id}/disable`,
      headers: as('owner'),
    });
    expect(disableSelf.statusCode).toBe(409);
    expect(await t.prisma.user.findUniqueOrThrow({ where: { id: owner.id } })).toMatchObject({
      operatorRole: 'owner',
      disabledAt: null,
    });
  });
});
