import { hashToken } from '@paddock/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, type TestApp } from '../../apps/api/src/test-app';
import { logIn, type SignedUpUser, signUp, signUpWithPassword, startTenantTestApp } from './support';

const WRONG = 'The email or password is wrong.';
const CHAIN = 'name: hello\nagents:\n  greet:\n    run: echo hi\n';

describe('tenant user sessions', () => {
  let t: TestApp;
  let owner: SignedUpUser;

  beforeAll(async () => {
    t = await startTenantTestApp();
    owner = await signUpWithPassword(t.app, 'sess');
  });
  afterAll(() => t.close());

  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers: object, payload?: object) =>
    t.app.inject({ method, url, headers: headers as Record<string, string>, ...(payload ? { payload } : {}) });
  const login = (email: string, password: string, remoteAddress = '127.0.0.1') =>
    t.app.inject({ method: 'POST', url: '/v1/sessions', payload: { email, password }, remoteAddress });

  it('logs in, works on tenant routes like the API key (audited as the user), and logs out', async () => {
    const before = Date.now();
    const reply = await login(owner.email.toUpperCase(), owner.password);
    expect(reply.statusCode).toBe(201);
    expect(reply.headers['cache-control']).toBe('no-store');
    const body = reply.json();
    expect(body).toMatchObject({
      token: expect.stringMatching(/^pds_[A-Za-z0-9_-]{43}$/),
      user: { id: owner.userId, email: owner.email, role: 'owner' },
      tenant: { id: owner.tenantId, status: 'provisioning' },
    });
    expect(reply.body).not.toContain(owner.password);
    // The default lifetime is 12 hours.
    const lifetime = Date.parse(body.expiresAt) - before;
    expect(lifetime).toBeGreaterThan(12 * 3600_000 - 60_000);
    expect(lifetime).toBeLessThanOrEqual(12 * 3600_000 + 60_000);
    const session = await t.prisma.session.findUniqueOrThrow({ where: { tokenHash: hashToken(body.token) } });
    expect(session).toMatchObject({ userId: owner.userId, tenantId: owner.tenantId, revokedAt: null });
    const headers = { authorization: `Bearer ${body.token}` };

    const me = await call('GET', '/v1/me', headers);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({
      credential: { type: 'session', id: session.id, expiresAt: body.expiresAt },
      user: { id: owner.userId, email: owner.email, role: 'owner', hasPassword: true },
      tenant: expect.objectContaining({ id: owner.tenantId, status: 'provisioning', plan: 'starter' }),
    });
    const meByKey = await call('GET', '/v1/me', owner.headers);
    expect(meByKey.json().credential).toEqual({
      type: 'api_key',
      id: expect.any(String),
      prefix: owner.apiKey.split('_').slice(0, 3).join('_'),
    });
    expect(meByKey.json().user).toMatchObject({ id: owner.userId, hasPassword: true });

    expect((await call('GET', '/v1/chains', headers)).statusCode).toBe(200);
    expect((await call('GET', '/v1/runs', headers)).json()).toMatchObject({ runs: [] });
    const upload = await call('POST', '/v1/chains', headers, { definition: CHAIN });
    expect(upload.statusCode).toBe(201);
    const secret = await call('PUT', '/v1/secrets/SESSION_TOKEN', headers, { value: 'set-by-a-person' });
    expect(secret.statusCode).toBe(201);
    const audit = await t.prisma.auditLog.findMany({
      where: { tenantId: owner.tenantId, action: { in: ['chain_version.create', 'secret.create', 'user.login'] } },
      orderBy: { id: 'asc' },
    });
    expect(audit.map((a) => [a.action, a.actorType, a.actorId, a.actorLabel])).toEqual([
      ['user.login', 'user', owner.userId, owner.email],
      ['chain_version.create', 'user', owner.userId, owner.email],
      ['secret.create', 'user', owner.userId, owner.email],
    ]);
    // The API key keeps acting as itself.
    await call('PUT', '/v1/secrets/KEY_TOKEN', owner.headers, { value: 'set-by-the-key' });
    const byKey = await t.prisma.auditLog.findFirstOrThrow({
      where: { tenantId: owner.tenantId, action: 'secret.create', targetId: { not: audit[2]?.targetId } },
    });
    expect(byKey).toMatchObject({ actorType: 'api_key', actorLabel: meByKey.json().credential.prefix });

    const logout = await call('DELETE', '/v1/sessions/current', headers);
    expect(logout.statusCode).toBe(204);
    for (const url of ['/v1/chains', '/v1/me']) {
      const after = await call('GET', url, headers);
      expect(after.statusCode).toBe(401);
      expect(after.json().error.code).toBe('unauthenticated');
    }
    expect((await call('DELETE', '/v1/sessions/current', headers)).statusCode).toBe(401);
    expect((await t.prisma.session.findUniqueOrThrow({ where: { id: session.id } })).revokedAt).not.toBeNull();
    expect(await t.prisma.auditLog.count({ where: { tenantId: owner.tenantId, action: 'user.logout' } })).toBe(1);
    // An API key has no session to end; it keeps working.
    const keyLogout = await call('DELETE', '/v1/sessions/current', owner.headers);
    expect(keyLogout.statusCode).toBe(409);
    expect((await call('GET', '/v1/chains', owner.headers)).statusCode).toBe(200);
  });

  it('answers a wrong password, an unknown email and a user without a password with the same 401', async () => {
    const keyOnly = await signUp(t.app, 'keyonly');
    const keyOnlyEmail = (await t.prisma.user.findUniqueOrThrow({ where: { id: keyOnly.userId } })).email;
    await createOperator(t.prisma, 'ops-sess@example.com', 'operator password 1');
    const sessions = await t.prisma.session.count();
    const refused = [
      await login(owner.email, `${owner.password}!`),
      await login('nobody-here@example.com', owner.password),
      await login(keyOnlyEmail, owner.password),
      // Operators log in at /v1/operator/sessions only.
      await login('ops-sess@example.com', 'operator password 1'),
    ];
    for (const reply of refused) {
      expect(reply.statusCode).toBe(401);
      expect(reply.json().error).toMatchObject({ code: 'unauthenticated', message: WRONG });
      expect(reply.body).not.toContain(owner.password);
    }
    expect(await t.prisma.session.count()).toBe(sessions);
  });

  it('refuses disabled users, expired, revoked and foreign tokens', async () => {
    const user = await signUpWithPassword(t.app, 'expiry');
    const expired = await logIn(t.app, user.email, user.password);
    const revoked = await logIn(t.app, user.email, user.password);
    const fine = await logIn(t.app, user.email, user.password);
    await t.prisma.session.update({
      where: { tokenHash: hashToken(expired.token) },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });
    await t.prisma.session.update({ where: { tokenHash: hashToken(revoked.token) }, data: { revokedAt: new Date() } });
    expect((await call('GET', '/v1/chains', fine.headers)).statusCode).toBe(200);
    await t.prisma.user.update({ where: { id: user.userId }, data: { disabledAt: new Date() } });

    const operatorToken = await (async () => {
      await createOperator(t.prisma, 'ops-token@example.com', 'operator password 2');
      return loginAs(t.app, 'ops-token@example.com', 'operator password 2');
    })();
    const tokens = [
      expired.token,
      revoked.token,
      // The user was disabled after logging in: the session dies with it.
      fine.token,
      `pds_${'A'.repeat(43)}`,
      `${fine.token.slice(0, -1)}x`,
      operatorToken,
      'not-a-credential-at-all',
    ];
    for (const token of tokens) {
      const reply = await call('GET', '/v1/chains', { authorization: `Bearer ${token}` });
      expect({ token, status: reply.statusCode }).toEqual({ token, status: 401 });
      expect(reply.json().error.code).toBe('unauthenticated');
    }
    // A tenant session is no operator credential either.
    const asOperator = await call('GET', '/v1/operator/jobs', fine.headers);
    expect(asOperator.statusCode).toBe(401);
    // A disabled user is told so, but only once the password proved right.
    const disabled = await login(user.email, user.password);
    expect(disabled.statusCode).toBe(403);
    expect(disabled.json().error.code).toBe('forbidden');
    const guess = await login(user.email, 'a wrong guess here');
    expect(guess.json().error).toMatchObject({ code: 'unauthenticated', message: WRONG });
  });

  it("follows the workspace's status: suspended reads and logs out, deleted is refused", async () => {
    const user = await signUpWithPassword(t.app, 'status');
    const session = await logIn(t.app, user.email, user.password);
    await t.prisma.tenant.update({ where: { id: user.tenantId }, data: { status: 'suspended' } });
    expect((await call('GET', '/v1/chains', session.headers)).statusCode).toBe(200);
    expect((await call('GET', '/v1/me', session.headers)).json().tenant.status).toBe('suspended');
    const write = await call('POST', '/v1/chains', session.headers, { definition: CHAIN });
    expect(write.statusCode).toBe(403);
    expect(write.json().error.code).toBe('forbidden');
    // A person can still leave, and still log in to read.
    expect((await call('DELETE', '/v1/sessions/current', session.headers)).statusCode).toBe(204);
    const again = await logIn(t.app, user.email, user.password);
    await t.prisma.tenant.update({ where: { id: user.tenantId }, data: { status: 'deleted' } });
    expect((await call('GET', '/v1/chains', again.headers)).statusCode).toBe(401);
    const refused = await login(user.email, user.password);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe('unauthenticated');
  });

  it('writes lastSeenAt at most once a minute', async () => {
    const user = await signUpWithPassword(t.app, 'seen');
    const session = await logIn(t.app, user.email, user.password);
    const where = { tokenHash: hashToken(session.token) };
    const first = (await t.prisma.session.findUniqueOrThrow({ where })).lastSeenAt;
    for (let i = 0; i < 3; i++) await call('GET', '/v1/chains', session.headers);
    expect((await t.prisma.session.findUniqueOrThrow({ where })).lastSeenAt).toEqual(first);
    const old = new Date(Date.now() - 120_000);
    await t.prisma.session.update({ where, data: { lastSeenAt: old } });
    await call('GET', '/v1/chains', session.headers);
    const seen = (await t.prisma.session.findUniqueOrThrow({ where })).lastSeenAt;
    expect(seen.getTime()).toBeGreaterThan(Date.now() - 10_000);
  });

  it('lets a key-only user set a password, and a change needs the current one and ends the other sessions', async () => {
    const keyOnly = await signUp(t.app, 'setpw');
    const email = (await t.prisma.user.findUniqueOrThrow({ where: { id: keyOnly.userId } })).email;
    const first = 'first password of mine';
    const second = 'second password of mine';
    expect((await login(email, first)).statusCode).toBe(401);
    const set = await call('PUT', '/v1/me/password', keyOnly.headers, { newPassword: first });
    expect(set.statusCode).toBe(204);
    const user = await t.prisma.user.findUniqueOrThrow({ where: { id: keyOnly.userId } });
    expect(user.passwordHash).toMatch(/^scrypt\$/);
    expect(user.passwordChangedAt).not.toBeNull();

    const a = await logIn(t.app, email, first);
    const b = await logIn(t.app, email, first);
    const missing = await call('PUT', '/v1/me/password', a.headers, { newPassword: second });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'body.currentPassword' }],
    });
    const wrong = await call('PUT', '/v1/me/password', a.headers, {
      currentPassword: 'not my password',
      newPassword: second,
    });
    expect(wrong.statusCode).toBe(403);
    expect((await t.prisma.user.findUniqueOrThrow({ where: { id: keyOnly.userId } })).passwordHash).toBe(
      user.passwordHash,
    );
    expect((await call('GET', '/v1/chains', b.headers)).statusCode).toBe(200);

    const changed = await call('PUT', '/v1/me/password', a.headers, { currentPassword: first, newPassword: second });
    expect(changed.statusCode).toBe(204);
    expect((await call('GET', '/v1/chains', a.headers)).statusCode).toBe(200);
    expect((await call('GET', '/v1/chains', b.headers)).statusCode).toBe(401);
    expect((await login(email, first)).statusCode).toBe(401);
    expect((await login(email, second)).statusCode).toBe(201);
    const audit = await t.prisma.auditLog.findMany({
      where: { tenantId: keyOnly.tenantId, action: { startsWith: 'user.password' } },
      orderBy: { id: 'asc' },
    });
    expect(audit.map((row) => [row.action, row.actorType, row.details])).toEqual([
      ['user.password.set', 'api_key', { revokedSessions: 0 }],
      ['user.password.change', 'user', { revokedSessions: 1 }],
    ]);
    expect(JSON.stringify(audit.map((row) => row.details))).not.toContain(second);
  });

  it('answers bad input with 400 and a machine-readable code, writing nothing and echoing no password', async () => {
    const counts = async () => ({
      users: await t.prisma.user.findMany({ select: { id: true, passwordHash: true } }),
      sessions: await t.prisma.session.count(),
      audit: await t.prisma.auditLog.count(),
    });
    const before = await counts();
    const secret = 'short-pass1';
    const cases: Array<{ method: 'POST' | 'PUT'; url: string; payload: unknown; path: string; auth?: boolean }> = [
      { method: 'POST', url: '/v1/sessions', payload: { email: 'not-an-email', password: secret }, path: 'body.email' },
      { method: 'POST', url: '/v1/sessions', payload: { email: owner.email }, path: 'body.password' },
      {
        method: 'POST',
        url: '/v1/sessions',
        payload: { email: owner.email, password: owner.password, remember: true },
        path: 'body',
      },
      { method: 'PUT', url: '/v1/me/password', payload: { newPassword: secret }, path: 'body.newPassword', auth: true },
      {
        method: 'PUT',
        url: '/v1/me/password',
        payload: { newPassword: 'x'.repeat(257) },
        path: 'body.newPassword',
        auth: true,
      },
      {
        method: 'PUT',
        url: '/v1/me/password',
        payload: { newPassword: 'long enough password', hint: 'x' },
        path: 'body',
        auth: true,
      },
    ];
    for (const c of cases) {
      const reply = await t.app.inject({
        method: c.method,
        url: c.url,
        headers: c.auth ? owner.headers : {},
        payload: c.payload as Record<string, unknown>,
      });
      expect({ url: c.url, payload: c.payload, status: reply.statusCode }).toEqual({
        url: c.url,
        payload: c.payload,
        status: 400,
      });
      const error = reply.json().error;
      expect(error.code).toBe('validation_failed');
      expect(error.details.map((d: { path: string }) => d.path)).toContain(c.path);
      expect(reply.body).not.toContain(secret);
      expect(reply.body).not.toContain(owner.password);
    }
    // Without a credential the account routes say so before reading anything.
    const anonymous = await t.app.inject({ method: 'PUT', url: '/v1/me/password', payload: { newPassword: secret } });
    expect(anonymous.statusCode).toBe(401);
    expect(await counts()).toEqual(before);
  });

  it('limits login attempts per account and per client address (429 rate_limited)', async () => {
    const user = await signUpWithPassword(t.app, 'limited');
    // Ten attempts per account from one address per 15 minutes (the default); login-limits.ts says why per address.
    const attempts = [];
    for (let i = 0; i < 10; i++)
      attempts.push((await login(user.email, `guess number ${i}`, '203.0.113.9')).statusCode);
    expect(attempts).toEqual(Array(10).fill(401));
    const limited = await login(user.email, user.password, '203.0.113.9');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/try again/) });
    expect(await t.prisma.session.count({ where: { userId: user.userId } })).toBe(0);
    // The owner, from an address that has not been guessing, is not locked out.
    expect((await login(user.email, user.password, '203.0.113.99')).statusCode).toBe(201);
    // Another account is not affected.
    expect((await login(owner.email, owner.password, '203.0.113.99')).statusCode).toBe(201);

    // Fifty per address (IPv6: per /56), counted before the body is read: junk counts too.
    const address = '2001:db8:42:42::7';
    const junk = [];
    for (let i = 0; i < 50; i++) {
      const reply = await t.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { 'content-type': 'application/json' },
        payload: '{',
        remoteAddress: address,
      });
      junk.push(reply.statusCode);
    }
    expect(new Set(junk)).toEqual(new Set([400]));
    const blocked = await login(owner.email, owner.password, '2001:db8:42:42::8');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });
});
