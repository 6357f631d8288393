import { secretContext } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { limitTenant, type SignedUp, signUp, startTenantTestApp } from './support';

const VALUE = 'sk-live-0123456789abcdef-do-not-leak';

describe('tenant secrets', () => {
  let t: TestApp;
  let ws: SignedUp;

  beforeAll(async () => {
    t = await startTenantTestApp();
    ws = await signUp(t.app, 'secrets');
  });
  afterAll(() => t.close());

  const put = (name: string, value: unknown, headers = ws.headers) =>
    t.app.inject({ method: 'PUT', url: `/v1/secrets/${name}`, headers, payload: { value } });

  it('creates (201) then replaces (200) a secret, encrypted at rest and bound to its tenant and name', async () => {
    const created = await put('OPENAI_API_KEY', VALUE);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ name: 'OPENAI_API_KEY', updatedAt: expect.any(String) });
    const replaced = await put('OPENAI_API_KEY', `${VALUE}-2`);
    expect(replaced.statusCode).toBe(200);
    for (const reply of [created, replaced]) expect(reply.body).not.toContain(VALUE);

    const row = await t.prisma.tenantSecret.findUniqueOrThrow({
      where: { tenantId_name: { tenantId: ws.tenantId, name: 'OPENAI_API_KEY' } },
    });
    expect(row.version).toBe(2);
    expect(row.valueEncrypted).not.toContain(VALUE);
    expect(t.vault.decrypt(row.valueEncrypted, secretContext(ws.tenantId, 'OPENAI_API_KEY'))).toBe(`${VALUE}-2`);
    // The ciphertext does not open as another tenant's secret of the same name.
    expect(() => t.vault.decrypt(row.valueEncrypted, secretContext(crypto.randomUUID(), 'OPENAI_API_KEY'))).toThrow();
  });

  it('lists names and change times only', async () => {
    await put('ANTHROPIC_API_KEY', VALUE);
    const list = await t.app.inject({ url: '/v1/secrets', headers: ws.headers });
    expect(list.statusCode).toBe(200);
    const secrets = list.json().secrets as Array<Record<string, unknown>>;
    expect(secrets.map((s) => s.name)).toEqual(['ANTHROPIC_API_KEY', 'OPENAI_API_KEY']);
    for (const secret of secrets) expect(Object.keys(secret).sort()).toEqual(['name', 'updatedAt']);
    expect(list.body).not.toContain(VALUE);
  });

  it('deletes a secret (204), then answers 404 for it', async () => {
    await put('TEMPORARY', VALUE);
    const deleted = await t.app.inject({ method: 'DELETE', url: '/v1/secrets/TEMPORARY', headers: ws.headers });
    expect(deleted.statusCode).toBe(204);
    const again = await t.app.inject({ method: 'DELETE', url: '/v1/secrets/TEMPORARY', headers: ws.headers });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('not_found');
    expect(await t.prisma.tenantSecret.count({ where: { tenantId: ws.tenantId, name: 'TEMPORARY' } })).toBe(0);
  });

  it('audits every change without the value', async () => {
    const rows = await t.prisma.auditLog.findMany({
      where: { tenantId: ws.tenantId, action: { startsWith: 'secret.' } },
      orderBy: { id: 'asc' },
    });
    expect(rows.map((r) => r.action)).toEqual([
      'secret.create',
      'secret.update',
      'secret.create',
      'secret.create',
      'secret.delete',
    ]);
    for (const row of rows) expect(row).toMatchObject({ actorType: 'api_key', requestId: expect.any(String) });
    expect(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(VALUE);
  });

  it('refuses bad names and values without echoing the value', async () => {
    for (const name of ['1ABC', 'with-dash', 'a.b', '%2E%2E%2Fetc', '%20']) {
      const reply = await put(name, VALUE);
      expect({ name, status: reply.statusCode }).toEqual({ name, status: 400 });
      expect(reply.json().error.details[0].path).toBe('params.name');
    }
    // The longest name a URL parameter can carry here is accepted.
    expect((await put(`L${'x'.repeat(99)}`, VALUE)).statusCode).toBe(201);
    const huge = `${VALUE}${'x'.repeat(40_000)}`;
    const tooLong = await t.app.inject({
      method: 'PUT',
      url: '/v1/secrets/BIG',
      headers: ws.headers,
      payload: { value: huge },
    });
    // Over the test body limit (16 KiB) this is a 413; either way nothing of the value comes back.
    expect([400, 413]).toContain(tooLong.statusCode);
    expect(tooLong.body).not.toContain(VALUE);
    const empty = await put('EMPTY', '');
    expect(empty.statusCode).toBe(400);
    const wrongType = await put('NUMBER', 12345);
    expect(wrongType.statusCode).toBe(400);
    expect(await t.prisma.tenantSecret.count({ where: { name: { in: ['BIG', 'EMPTY', 'NUMBER'] } } })).toBe(0);
  });

  it('needs a valid, unrevoked workspace API key', async () => {
    expect((await t.app.inject({ url: '/v1/secrets' })).statusCode).toBe(401);
    const garbage = await t.app.inject({ url: '/v1/secrets', headers: { authorization: `Bearer ${'x'.repeat(40)}` } });
    expect(garbage.statusCode).toBe(401);
    const forged = ws.apiKey.slice(0, -4) + 'AAAA';
    expect(
      (await t.app.inject({ url: '/v1/secrets', headers: { authorization: `Bearer ${forged}` } })).statusCode,
    ).toBe(401);
    const other = await signUp(t.app, 'revoked');
    await t.prisma.apiKey.updateMany({ where: { tenantId: other.tenantId }, data: { revokedAt: new Date() } });
    const revoked = await t.app.inject({ url: '/v1/secrets', headers: other.headers });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().error.code).toBe('unauthenticated');
  });

  it('lets a suspended workspace read but not change its secrets', async () => {
    const suspended = await signUp(t.app, 'suspended');
    await t.prisma.tenant.update({ where: { id: suspended.tenantId }, data: { status: 'suspended' } });
    expect((await t.app.inject({ url: '/v1/secrets', headers: suspended.headers })).statusCode).toBe(200);
    const write = await put('BLOCKED', VALUE, suspended.headers);
    expect(write.statusCode).toBe(403);
    expect(write.json().error.code).toBe('forbidden');
    expect(await t.prisma.tenantSecret.count({ where: { tenantId: suspended.tenantId } })).toBe(0);
  });

  it("enforces the plan's secret limit, also against concurrent creations; replacing stays allowed", async () => {
    const small = await signUp(t.app, 'limited');
    await limitTenant(t.prisma, small.tenantId, { maxSecrets: 2 });
    const replies = await Promise.all(
      ['A', 'B', 'C', 'D', 'E'].map((name) => put(`LIMITED_${name}`, VALUE, small.headers)),
    );
    expect(replies.map((r) => r.statusCode).sort()).toEqual([201, 201, 409, 409, 409]);
    const refused = replies.find((r) => r.statusCode === 409);
    expect(refused?.json().error.message).toContain('at most 2 secrets');
    expect(refused?.json().error).toMatchObject({
      code: 'plan_limit_reached',
      details: [{ limit: 'maxSecrets', current: 2, maximum: 2 }],
    });
    expect(await t.prisma.tenantSecret.count({ where: { tenantId: small.tenantId } })).toBe(2);
    const kept = replies.findIndex((r) => r.statusCode === 201);
    expect((await put(`LIMITED_${'ABCDE'[kept]}`, 'new value', small.headers)).statusCode).toBe(200);
  });
});
