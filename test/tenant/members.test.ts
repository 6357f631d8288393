import type { LightMyRequestResponse } from 'fastify';
import { generateApiKey } from '@paddock/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { logIn, type SignedUpUser, signUpWithPassword, startTenantTestApp } from './support';

// Workspace members through the API: the owner invites (admin, member, viewer), the invitee accepts and logs in,
// roles change and members are removed (their session ends at once); a member cannot manage members, an admin cannot
// grant admin, a viewer changes nothing, and another workspace's member is a 404 that changes nothing.
let t: TestApp;
let owner: SignedUpUser;
let ownerSession: { authorization: string };
let other: SignedUpUser;
let otherSession: { authorization: string };
const UA = 'members-test/1.0';

beforeAll(async () => {
  t = await startTenantTestApp();
  owner = await signUpWithPassword(t.app, 'members-owner');
  ownerSession = (await logIn(t.app, owner.email, owner.password)).headers;
  other = await signUpWithPassword(t.app, 'members-other');
  otherSession = (await logIn(t.app, other.email, other.password)).headers;
});
afterAll(() => t.close());

type Call = (
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: object,
) => Promise<LightMyRequestResponse>;
const caller =
  (headers: { authorization: string }): Call =>
  (method, url, payload) =>
    t.app.inject({ method, url, headers: { ...headers, 'user-agent': UA }, ...(payload ? { payload } : {}) });

/** Invites `email` as `role` (by `by`), accepts the invite and logs in: the member's id and session. */
async function join(by: Call, email: string, role: 'admin' | 'member' | 'viewer') {
  const invited = await by('POST', '/v1/members', { email, role });
  expect(invited.statusCode, invited.body).toBe(201);
  const { member, invite } = invited.json() as { member: { id: string }; invite: { token: string } };
  const password = `passphrase for ${email}`;
  const accepted = await t.app.inject({
    method: 'POST',
    url: '/v1/members/accept',
    payload: { token: invite.token, password },
  });
  expect(accepted.statusCode, accepted.body).toBe(200);
  const session = await logIn(t.app, email, password);
  return { id: member.id, call: caller(session.headers), headers: session.headers, token: invite.token };
}

describe('workspace members', () => {
  it('invites a member who accepts, logs in with the role, and appears in the list; the link is single use', async () => {
    const ownerCall = caller(ownerSession);
    const m = await join(ownerCall, 'Worker@Example.com', 'member');
    const me = await m.call('GET', '/v1/me');
    expect(me.json()).toMatchObject({
      user: { id: m.id, email: 'worker@example.com', role: 'member' },
      tenant: { id: owner.tenantId },
    });
    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/members/accept',
      payload: { token: m.token, password: 'someone else entirely' },
    });
    expect(again.statusCode).toBe(404);
    const list = await m.call('GET', '/v1/members');
    expect(list.statusCode).toBe(200);
    expect(list.json().members).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ email: owner.email, role: 'owner', status: 'active' }),
        expect.objectContaining({ id: m.id, role: 'member', status: 'active' }),
      ]),
    );
    const audit = await t.prisma.auditLog.findFirstOrThrow({ where: { action: 'member.invite', targetId: m.id } });
    expect(audit).toMatchObject({
      tenantId: owner.tenantId,
      actorId: owner.userId,
      actorLabel: owner.email,
      userAgent: UA,
      after: { email: 'worker@example.com', role: 'member', status: 'invited' },
    });
    // An operator's door does not take a member's link.
    const invited = await ownerCall('POST', '/v1/members', { email: 'door@example.com', role: 'member' });
    const opDoor = await t.app.inject({
      method: 'POST',
      url: '/v1/operator/accounts/accept',
      payload: { token: invited.json().invite.token, password: 'wrong door passphrase' },
    });
    expect(opDoor.statusCode).toBe(404);
  });

  it('lets only the owner and admins manage members, and only the owner grant admin', async () => {
    const ownerCall = caller(ownerSession);
    const member = await join(ownerCall, 'plain@example.com', 'member');
    const admin = await join(ownerCall, 'admin@example.com', 'admin');
    const refused = await member.call('POST', '/v1/members', { email: 'x1@example.com', role: 'viewer' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('insufficient_role');
    const grant = await admin.call('POST', '/v1/members', { email: 'x2@example.com', role: 'admin' });
    expect(grant.statusCode).toBe(403);
    const promote = await admin.call('PUT', `/v1/members/${member.id}/role`, { role: 'admin' });
    expect(promote.statusCode).toBe(403);
    const owners = await admin.call('DELETE', `/v1/members/${owner.userId}`);
    expect(owners.statusCode).toBe(409);
    expect(await t.prisma.user.count({ where: { email: { in: ['x1@example.com', 'x2@example.com'] } } })).toBe(0);

    const demote = await admin.call('PUT', `/v1/members/${member.id}/role`, { role: 'viewer' });
    expect(demote.statusCode, demote.body).toBe(200);
    expect(demote.json()).toMatchObject({ role: 'viewer' });
    const audit = await t.prisma.auditLog.findFirstOrThrow({
      where: { action: 'member.role.change', targetId: member.id },
    });
    expect(audit).toMatchObject({ actorId: admin.id, before: { role: 'member' }, after: { role: 'viewer' } });
    // The live session obeys the new role on its next request.
    const write = await member.call('POST', '/v1/runs', { chain: 'none', inputs: {} });
    expect(write.statusCode).toBe(403);
    expect(write.json().error.code).toBe('insufficient_role');
  });

  it('removes a member: the session is refused at once and the account is gone', async () => {
    const ownerCall = caller(ownerSession);
    const m = await join(ownerCall, 'leaving@example.com', 'member');
    expect((await m.call('GET', '/v1/me')).statusCode).toBe(200);
    // An API key of theirs (as a key-issuing route would make it) must not outlive them.
    const key = generateApiKey();
    const member = await t.prisma.user.findUniqueOrThrow({ where: { id: m.id } });
    await t.prisma.apiKey.create({
      data: { tenantId: member.tenantId, userId: m.id, name: 'laptop', prefix: key.prefix, keyHash: key.hash },
    });
    const byKey = caller({ authorization: `Bearer ${key.key}` });
    expect((await byKey('GET', '/v1/me')).statusCode).toBe(200);
    const removed = await ownerCall('DELETE', `/v1/members/${m.id}`);
    expect(removed.statusCode).toBe(204);
    expect((await m.call('GET', '/v1/me')).statusCode).toBe(401);
    expect((await byKey('GET', '/v1/me')).statusCode).toBe(401);
    expect((await t.prisma.apiKey.findUniqueOrThrow({ where: { prefix: key.prefix } })).revokedAt).not.toBeNull();
    expect(await t.prisma.user.findUnique({ where: { id: m.id } })).toBeNull();
    expect(await t.prisma.session.count({ where: { userId: m.id } })).toBe(0);
    const audit = await t.prisma.auditLog.findFirstOrThrow({ where: { action: 'member.remove', targetId: m.id } });
    expect(audit.before).toMatchObject({ email: 'leaving@example.com', role: 'member' });
  });

  it("answers 404 for another workspace's member and changes nothing", async () => {
    const victim = await join(caller(ownerSession), 'victim@example.com', 'member');
    const attacker = caller(otherSession);
    const role = await attacker('PUT', `/v1/members/${victim.id}/role`, { role: 'viewer' });
    expect(role.statusCode).toBe(404);
    const remove = await attacker('DELETE', `/v1/members/${victim.id}`);
    expect(remove.statusCode).toBe(404);
    const list = await attacker('GET', '/v1/members');
    expect(list.json().members.map((m: { email: string }) => m.email)).toEqual([other.email]);
    expect(await t.prisma.user.findUniqueOrThrow({ where: { id: victim.id } })).toMatchObject({
      role: 'member',
      tenantId: owner.tenantId,
    });
    expect((await victim.call('GET', '/v1/me')).statusCode).toBe(200);
  });

  it('lets a viewer read but not write (runs, decisions, chains, secrets, members), while keeping its own account', async () => {
    const viewer = await join(caller(ownerSession), 'reader@example.com', 'viewer');
    for (const url of ['/v1/decisions', '/v1/runs', '/v1/chains', '/v1/members', '/v1/usage']) {
      expect((await viewer.call('GET', url)).statusCode, url).toBe(200);
    }
    const writes: Array<[Parameters<Call>[0], string, object?]> = [
      ['POST', '/v1/runs', { chain: 'review', inputs: {} }],
      ['POST', `/v1/decisions/${crypto.randomUUID()}`, { choice: 'approve' }],
      ['POST', '/v1/chains', { definition: 'name: x' }],
      ['PUT', '/v1/secrets/TOKEN', { value: 'x' }],
      ['POST', '/v1/members', { email: 'y@example.com', role: 'viewer' }],
    ];
    for (const [method, url, payload] of writes) {
      const reply = await viewer.call(method, url, payload);
      expect(reply.statusCode, `${method} ${url}`).toBe(403);
      expect(reply.json().error.code).toBe('insufficient_role');
    }
    expect(await t.prisma.run.count({ where: { tenantId: owner.tenantId } })).toBe(0);
    // Its own account: a password change and logging out still work.
    const password = await viewer.call('PUT', '/v1/me/password', {
      currentPassword: 'passphrase for reader@example.com',
      newPassword: 'a different passphrase',
    });
    expect(password.statusCode, password.body).toBe(204);
  });
});
