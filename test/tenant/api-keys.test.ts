import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { logIn, type SignedUpUser, signUpWithPassword, startTenantTestApp } from './support';

// A workspace's API keys through the API: the owner creates one (the key is in that answer only, and it works at
// once, with its creator's role), revokes it (its next request is a 401); a member and a viewer can list but not
// create or revoke; another workspace's key is a 404 that revokes nothing. Both changes are audited.
let t: TestApp;
let owner: SignedUpUser;
let ownerSession: { authorization: string };
let other: SignedUpUser;

beforeAll(async () => {
  t = await startTenantTestApp();
  owner = await signUpWithPassword(t.app, 'keys-owner');
  ownerSession = (await logIn(t.app, owner.email, owner.password)).headers;
  other = await signUpWithPassword(t.app, 'keys-other');
});
afterAll(() => t.close());

const call = (headers: { authorization: string }, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

async function join(email: string, role: 'member' | 'viewer') {
  const invited = await call(ownerSession, 'POST', '/v1/members', { email, role });
  expect(invited.statusCode, invited.body).toBe(201);
  const { invite } = invited.json() as { invite: { token: string } };
  const password = `passphrase for ${email}`;
  const accepted = await t.app.inject({
    method: 'POST',
    url: '/v1/members/accept',
    payload: { token: invite.token, password },
  });
  expect(accepted.statusCode, accepted.body).toBe(200);
  return (await logIn(t.app, email, password)).headers;
}

function code(reply: LightMyRequestResponse): string {
  return (reply.json() as { error: { code: string } }).error.code;
}

describe('workspace API keys', () => {
  it('creates a key shown once that works at once, lists it by prefix, and revokes it (then 401)', async () => {
    const created = await call(ownerSession, 'POST', '/v1/api-keys', { name: '  deploy bot  ' });
    expect(created.statusCode, created.body).toBe(201);
    const { apiKey, key } = created.json() as { apiKey: { id: string; prefix: string; name: string }; key: string };
    expect(apiKey.name).toBe('deploy bot');
    expect(key.startsWith(`${apiKey.prefix}_`)).toBe(true);
    const bearer = { authorization: `Bearer ${key}` };
    // It acts for the workspace with its creator's role (the owner).
    expect((await call(bearer, 'GET', '/v1/me')).statusCode).toBe(200);
    expect((await call(bearer, 'GET', '/v1/runs')).statusCode).toBe(200);

    const listed = (await call(ownerSession, 'GET', '/v1/api-keys')).json() as { apiKeys: Record<string, unknown>[] };
    const row = listed.apiKeys.find((k) => k.id === apiKey.id);
    expect(row).toMatchObject({ prefix: apiKey.prefix, createdBy: owner.email, revokedAt: null });
    // Lists never hold a key or its hash.
    expect(JSON.stringify(listed)).not.toContain(key);
    const stored = await t.prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(JSON.stringify(listed)).not.toContain(stored.keyHash);
    expect(stored).toMatchObject({ tenantId: owner.tenantId, userId: owner.userId });

    const revoked = await call(ownerSession, 'DELETE', `/v1/api-keys/${apiKey.id}`);
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();
    const refused = await call(bearer, 'GET', '/v1/runs');
    expect(refused.statusCode).toBe(401);
    expect(code(refused)).toBe('unauthenticated');
    // Revoking again changes nothing (same instant) and writes no second audit row.
    const again = await call(ownerSession, 'DELETE', `/v1/api-keys/${apiKey.id}`);
    expect(again.json().revokedAt).toBe(revoked.json().revokedAt);

    const audit = await t.prisma.auditLog.findMany({
      where: { targetType: 'api_key', targetId: apiKey.id },
      orderBy: { createdAt: 'asc' },
    });
    expect(audit.map((a) => [a.action, a.actorLabel, a.tenantId])).toEqual([
      ['api_key.create', owner.email, owner.tenantId],
      ['api_key.revoke', owner.email, owner.tenantId],
    ]);
  });

  it('a member and a viewer list keys but create and revoke none', async () => {
    const target = (await call(ownerSession, 'POST', '/v1/api-keys', { name: 'kept' })).json().apiKey as { id: string };
    const member = await join('keys-member@example.com', 'member');
    const viewer = await join('keys-viewer@example.com', 'viewer');
    for (const [who, expectedCode] of [
      [member, 'insufficient_role'],
      [viewer, 'insufficient_role'],
    ] as const) {
      expect((await call(who, 'GET', '/v1/api-keys')).statusCode).toBe(200);
      const create = await call(who, 'POST', '/v1/api-keys', { name: 'mine' });
      expect(create.statusCode).toBe(403);
      expect(code(create)).toBe(expectedCode);
      const revoke = await call(who, 'DELETE', `/v1/api-keys/${target.id}`);
      expect(revoke.statusCode).toBe(403);
    }
    const keys = await t.prisma.apiKey.findMany({ where: { tenantId: owner.tenantId } });
    expect(keys.find((k) => k.id === target.id)?.revokedAt).toBeNull();
    expect(keys.some((k) => k.name === 'mine')).toBe(false);
  });

  it("another workspace's key is a 404 and stays valid; bad bodies are 400s", async () => {
    const otherKey = await t.prisma.apiKey.findFirstOrThrow({ where: { tenantId: other.tenantId } });
    const foreign = await call(ownerSession, 'DELETE', `/v1/api-keys/${otherKey.id}`);
    expect(foreign.statusCode).toBe(404);
    expect(code(foreign)).toBe('not_found');
    expect((await call(other.headers, 'GET', '/v1/me')).statusCode).toBe(200);
    const theirs = (await call(ownerSession, 'GET', '/v1/api-keys')).json() as { apiKeys: { id: string }[] };
    expect(theirs.apiKeys.map((k) => k.id)).not.toContain(otherKey.id);

    for (const body of [
      {},
      { name: '' },
      { name: 'x'.repeat(201) },
      { name: 'a\u0007b' },
      { name: 'ok', scopes: [] },
    ]) {
      const bad = await call(ownerSession, 'POST', '/v1/api-keys', body);
      expect(bad.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect((await call(ownerSession, 'DELETE', '/v1/api-keys/not-a-uuid')).statusCode).toBe(400);
  });
});
