import { verifyPassword } from '@paddock/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, type TestApp } from '../../apps/api/src/test-app';
import { type SignedUpUser, signUpWithPassword, startTenantTestApp } from '../tenant/support';

const PASSWORD = 'correct horse battery staple';

/** The console's sessions: httpOnly cookies, and writes they authenticate must carry the session's CSRF token. */
describe('browser sessions in cookies, with CSRF protection', () => {
  let t: TestApp;
  let owner: SignedUpUser;

  beforeAll(async () => {
    t = await startTenantTestApp();
    await createOperator(t.prisma, 'ops@example.com', PASSWORD);
    owner = await signUpWithPassword(t.app, 'cookie');
  });
  afterAll(() => t.close());

  async function cookieLogin(url: string, email: string, password: string) {
    const reply = await t.app.inject({
      method: 'POST',
      url,
      payload: { email, password },
      headers: { 'x-paddock-session': 'cookie' },
    });
    expect(reply.statusCode).toBe(201);
    const setCookie = String(reply.headers['set-cookie']);
    const [pair = '', ...attributes] = setCookie.split('; ');
    return { reply, body: reply.json() as Record<string, unknown>, pair, attributes, cookie: { cookie: pair } };
  }

  it('operator: the token goes into a Secure, HttpOnly, SameSite=Strict cookie, never into the reply body', async () => {
    const { body, pair, attributes, reply } = await cookieLogin('/v1/operator/sessions', 'ops@example.com', PASSWORD);
    expect(pair).toMatch(/^paddock_operator_session=[A-Za-z0-9._~+/=-]{16,}$/);
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']));
    expect(body).toMatchObject({ csrfToken: expect.any(String), operator: { email: 'ops@example.com' } });
    expect(body).not.toHaveProperty('token');
    expect(reply.body).not.toContain(pair.split('=')[1]);
    expect(reply.headers['cache-control']).toBe('no-store');
  });

  it('operator: a cookie reads without a CSRF token, but a write without it (or with a wrong one) is refused with nothing done', async () => {
    const { body, cookie } = await cookieLogin('/v1/operator/sessions', 'ops@example.com', PASSWORD);
    const other = await cookieLogin('/v1/operator/sessions', 'ops@example.com', PASSWORD);
    expect((await t.app.inject({ url: '/v1/operator/jobs', headers: cookie })).statusCode).toBe(200);
    const current = await t.app.inject({ url: '/v1/operator/sessions/current', headers: cookie });
    expect(current.json()).toEqual({
      operator: { id: expect.any(String), email: 'ops@example.com', role: 'owner' },
      csrfToken: body.csrfToken,
    });

    const jobsBefore = await t.prisma.jobRecord.count();
    const probe = {
      method: 'POST' as const,
      url: '/v1/operator/jobs/probe',
      payload: { label: 'csrf', durationMs: 0 },
    };
    const attempts: Record<string, string>[] = [
      cookie,
      { ...cookie, 'x-csrf-token': '' },
      { ...cookie, 'x-csrf-token': 'x'.repeat(43) },
      // Another session's token is no good either: the token is bound to the session it came with.
      { ...cookie, 'x-csrf-token': String(other.body.csrfToken) },
    ];
    for (const headers of attempts) {
      const reply = await t.app.inject({ ...probe, headers });
      expect(reply.statusCode).toBe(403);
      expect(reply.json().error.code).toBe('csrf_failed');
    }
    expect(await t.prisma.jobRecord.count()).toBe(jobsBefore);

    const allowed = await t.app.inject({ ...probe, headers: { ...cookie, 'x-csrf-token': String(body.csrfToken) } });
    expect(allowed.statusCode).toBe(202);
    expect(await t.prisma.jobRecord.count()).toBe(jobsBefore + 1);
  });

  it('operator: bearer tokens work as before, without a CSRF token and without a cookie', async () => {
    const plain = await t.app.inject({
      method: 'POST',
      url: '/v1/operator/sessions',
      payload: { email: 'ops@example.com', password: PASSWORD },
    });
    expect(plain.headers['set-cookie']).toBeUndefined();
    expect(plain.json()).toHaveProperty('token');
    const token = await loginAs(t.app, 'ops@example.com', PASSWORD);
    const reply = await t.app.inject({
      method: 'POST',
      url: '/v1/operator/jobs/probe',
      headers: { authorization: `Bearer ${token}` },
      payload: { label: 'bearer', durationMs: 0 },
    });
    expect(reply.statusCode).toBe(202);
    const current = await t.app.inject({
      url: '/v1/operator/sessions/current',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(current.json().csrfToken).toBeNull();
  });

  it('operator: logout needs the CSRF token, clears the cookie and ends the session', async () => {
    const { body, cookie } = await cookieLogin('/v1/operator/sessions', 'ops@example.com', PASSWORD);
    const forged = await t.app.inject({ method: 'DELETE', url: '/v1/operator/sessions/current', headers: cookie });
    expect(forged.statusCode).toBe(403);
    expect((await t.app.inject({ url: '/v1/operator/jobs', headers: cookie })).statusCode).toBe(200);
    const logout = await t.app.inject({
      method: 'DELETE',
      url: '/v1/operator/sessions/current',
      headers: { ...cookie, 'x-csrf-token': String(body.csrfToken) },
    });
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers['set-cookie'])).toMatch(/^paddock_operator_session=; .*Max-Age=0/);
    expect((await t.app.inject({ url: '/v1/operator/jobs', headers: cookie })).statusCode).toBe(401);
    const after = await t.app.inject({ url: '/v1/operator/sessions/current', headers: cookie });
    expect(after.json()).toEqual({ operator: null, csrfToken: null });
  });

  it('tenant user: a cookie session reads, a forged write (password change) fails and changes nothing, logout clears it', async () => {
    const { body, pair, attributes, cookie } = await cookieLogin('/v1/sessions', owner.email, owner.password);
    expect(pair).toMatch(/^paddock_session=pds_/);
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Strict']));
    expect(body).not.toHaveProperty('token');
    expect(body).toMatchObject({ csrfToken: expect.any(String), tenant: { id: owner.tenantId } });

    const me = await t.app.inject({ url: '/v1/sessions/current', headers: cookie });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ caller: { user: { email: owner.email } }, csrfToken: body.csrfToken });

    const change = { method: 'PUT' as const, url: '/v1/me/password' };
    const payload = { currentPassword: owner.password, newPassword: 'a brand new passphrase' };
    const forged = await t.app.inject({ ...change, headers: cookie, payload });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().error.code).toBe('csrf_failed');
    const user = await t.prisma.user.findUniqueOrThrow({ where: { id: owner.userId } });
    expect(await verifyPassword(owner.password, user.passwordHash ?? '')).toBe(true);

    const forgedLogout = await t.app.inject({ method: 'DELETE', url: '/v1/sessions/current', headers: cookie });
    expect(forgedLogout.statusCode).toBe(403);
    const logout = await t.app.inject({
      method: 'DELETE',
      url: '/v1/sessions/current',
      headers: { ...cookie, 'x-csrf-token': String(body.csrfToken) },
    });
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers['set-cookie'])).toMatch(/^paddock_session=; .*Max-Age=0/);
    expect((await t.app.inject({ url: '/v1/me', headers: cookie })).statusCode).toBe(401);
    const after = await t.app.inject({ url: '/v1/sessions/current', headers: cookie });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual({ caller: null, csrfToken: null });
  });

  it('an operator cookie is not a tenant credential, nor the other way round', async () => {
    const operator = await cookieLogin('/v1/operator/sessions', 'ops@example.com', PASSWORD);
    const tenant = await cookieLogin('/v1/sessions', owner.email, owner.password);
    expect((await t.app.inject({ url: '/v1/me', headers: operator.cookie })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/v1/operator/jobs', headers: tenant.cookie })).statusCode).toBe(401);
  });
});
