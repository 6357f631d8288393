import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, startTestApp, type TestApp } from '../../apps/api/src/test-app';

// Operator accounts through the API: invite -> accept -> log in, disable (sessions end at once), enable, reset by an
// owner, and the machine-side reset (`npm run operator -- reset-password`). Each change is checked in Postgres and in
// the audit log (who, before/after, ip, user agent, request id).
const PASSWORD = 'correct horse battery staple';
const UA = 'operator-accounts-test/1.0';
const repoRoot = join(import.meta.dirname, '../..');

let t: TestApp;
let ownerToken: string;

beforeAll(async () => {
  t = await startTestApp();
  await createOperator(t.prisma, 'owner@example.com', PASSWORD, 'owner');
  ownerToken = await loginAs(t.app, 'owner@example.com', PASSWORD);
});
afterAll(() => t.close());

const owner = () => ({ authorization: `Bearer ${ownerToken}`, 'user-agent': UA });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function login(email: string, password: string) {
  return t.app.inject({ method: 'POST', url: '/v1/operator/sessions', payload: { email, password } });
}

async function accept(token: string, password: string) {
  return t.app.inject({ method: 'POST', url: '/v1/operator/accounts/accept', payload: { token, password } });
}

async function invite(email: string, role: 'owner' | 'operator' | 'viewer') {
  const reply = await t.app.inject({
    method: 'POST',
    url: '/v1/operator/accounts',
    headers: owner(),
    payload: { email, role },
  });
  expect(reply.statusCode, reply.body).toBe(201);
  return reply.json() as { operator: { id: string; status: string; role: string }; invite: { token: string } };
}

describe('operator accounts', () => {
  it('invites an operator who sets a password with the single-use link and logs in with the invited role', async () => {
    const invited = await invite('Invitee@Example.com', 'viewer');
    expect(invited.operator).toMatchObject({ role: 'viewer', status: 'invited' });
    expect(await t.prisma.accountToken.findFirst({ where: { userId: invited.operator.id } })).toMatchObject({
      kind: 'invite',
      usedAt: null,
    });
    // No password yet: the account cannot log in.
    expect((await login('invitee@example.com', 'anything at all here')).statusCode).toBe(401);
    const accepted = await accept(invited.invite.token, 'a brand new passphrase');
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toMatchObject({ id: invited.operator.id, email: 'invitee@example.com' });
    const session = await login('invitee@example.com', 'a brand new passphrase');
    expect(session.statusCode).toBe(201);
    expect(session.json().operator).toMatchObject({ role: 'viewer' });
    // Single use: the same link again (or a forged one) changes nothing.
    expect((await accept(invited.invite.token, 'another passphrase!!')).statusCode).toBe(404);
    expect((await accept(`pdi_${'A'.repeat(43)}`, 'another passphrase!!')).statusCode).toBe(404);
    expect((await login('invitee@example.com', 'a brand new passphrase')).statusCode).toBe(201);

    const audit = await t.prisma.auditLog.findFirstOrThrow({
      where: { action: 'operator.invite', targetId: invited.operator.id },
    });
    expect(audit).toMatchObject({
      actorLabel: 'owner@example.com',
      userAgent: UA,
      ipAddress: '127.0.0.1',
      after: { email: 'invitee@example.com', role: 'viewer', status: 'invited' },
    });
    expect(audit.requestId).toBeTruthy();
    expect(JSON.stringify(audit.details)).not.toContain(invited.invite.token);
    expect(await t.prisma.auditLog.count({ where: { action: 'operator.invite.accept' } })).toBe(1);
  });

  it('refuses an expired invite, and a member invite at the operator door', async () => {
    const invited = await invite('late@example.com', 'operator');
    await t.prisma.accountToken.updateMany({
      where: { userId: invited.operator.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect((await accept(invited.invite.token, 'too late passphrase')).statusCode).toBe(404);
    const user = await t.prisma.user.findUniqueOrThrow({ where: { id: invited.operator.id } });
    expect(user.passwordHash).toBeNull();
  });

  it('refuses a duplicate email with 409 and a bad role with 400', async () => {
    await invite('dup@example.com', 'viewer');
    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/operator/accounts',
      headers: owner(),
      payload: { email: 'dup@example.com', role: 'viewer' },
    });
    expect(again.statusCode).toBe(409);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v1/operator/accounts',
      headers: owner(),
      payload: { email: 'x@example.com', role: 'root' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toBe('body.role');
  });

  it('disables an operator: their live session is refused at once, and logging in fails until enabled', async () => {
    const op = await createOperator(t.prisma, 'to-disable@example.com', PASSWORD, 'operator');
    const token = await loginAs(t.app, 'to-disable@example.com', PASSWORD);
    expect((await t.app.inject({ url: '/v1/operator/jobs', headers: bearer(token) })).statusCode).toBe(200);
    const disabled = await t.app.inject({
      method: 'POST',
      url: `/v1/operator/accounts/${op.id}/disable`,
      headers: owner(),
    });
    expect(disabled.statusCode, disabled.body).toBe(200);
    expect(disabled.json()).toMatchObject({ status: 'disabled' });
    expect((await t.app.inject({ url: '/v1/operator/jobs', headers: bearer(token) })).statusCode).toBe(401);
    expect(await t.prisma.session.count({ where: { userId: op.id, revokedAt: null } })).toBe(0);
    expect((await login('to-disable@example.com', PASSWORD)).statusCode).toBe(401);

    const enabled = await t.app.inject({
      method: 'POST',
      url: `/v1/operator/accounts/${op.id}/enable`,
      headers: owner(),
    });
    expect(enabled.json()).toMatchObject({ status: 'active' });
    // The old session stays dead; a new login works.
    expect((await t.app.inject({ url: '/v1/operator/jobs', headers: bearer(token) })).statusCode).toBe(401);
    expect((await login('to-disable@example.com', PASSWORD)).statusCode).toBe(201);
    const rows = await t.prisma.auditLog.findMany({
      where: { targetId: op.id, action: { in: ['operator.disable', 'operator.enable'] } },
      orderBy: { id: 'asc' },
    });
    expect(rows.map((r) => [r.action, r.before, r.after])).toEqual([
      [
        'operator.disable',
        expect.objectContaining({ status: 'active' }),
        expect.objectContaining({ status: 'disabled' }),
      ],
      [
        'operator.enable',
        expect.objectContaining({ status: 'disabled' }),
        expect.objectContaining({ status: 'active' }),
      ],
    ]);
  });

  it('changes a role, which the next request of a live session obeys', async () => {
    const op = await createOperator(t.prisma, 'promote@example.com', PASSWORD, 'viewer');
    const token = await loginAs(t.app, 'promote@example.com', PASSWORD);
    const probe = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/operator/jobs/probe',
        headers: bearer(token),
        payload: { label: 'p', durationMs: 1 },
      });
    expect((await probe()).statusCode).toBe(403);
    const changed = await t.app.inject({
      method: 'PUT',
      url: `/v1/operator/accounts/${op.id}/role`,
      headers: owner(),
      payload: { role: 'operator' },
    });
    expect(changed.json()).toMatchObject({ role: 'operator' });
    expect((await probe()).statusCode).toBe(202);
    const audit = await t.prisma.auditLog.findFirstOrThrow({
      where: { action: 'operator.role.change', targetId: op.id },
    });
    expect(audit.before).toMatchObject({ role: 'viewer' });
    expect(audit.after).toMatchObject({ role: 'operator' });
  });

  it('resets a password: the old password and sessions stop working, the reset link sets a new one', async () => {
    const op = await createOperator(t.prisma, 'forgetful@example.com', PASSWORD, 'operator');
    const token = await loginAs(t.app, 'forgetful@example.com', PASSWORD);
    const reset = await t.app.inject({
      method: 'POST',
      url: `/v1/operator/accounts/${op.id}/reset-password`,
      headers: owner(),
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json().operator).toMatchObject({ status: 'password_reset' });
    expect((await t.app.inject({ url: '/v1/operator/jobs', headers: bearer(token) })).statusCode).toBe(401);
    expect((await login('forgetful@example.com', PASSWORD)).statusCode).toBe(401);
    expect((await accept(reset.json().reset.token, 'remembered this time')).statusCode).toBe(200);
    expect((await login('forgetful@example.com', 'remembered this time')).statusCode).toBe(201);
    expect(await t.prisma.auditLog.count({ where: { targetId: op.id, action: 'operator.password.reset' } })).toBe(1);
    expect(
      await t.prisma.auditLog.count({ where: { targetId: op.id, action: 'operator.password.reset.complete' } }),
    ).toBe(1);
  });

  it('answers 404 for an unknown operator and for a tenant user id', async () => {
    const tenant = await t.prisma.tenant.create({
      data: {
        slug: `t-${Date.now()}`,
        name: 'T',
        plan: { create: { code: `p-${Date.now()}`, name: 'P', priceMinor: 0, provider: 'local' } },
      },
    });
    const member = await t.prisma.user.create({
      data: { tenantId: tenant.id, email: 'member-not-op@example.com', role: 'member' },
    });
    for (const id of [crypto.randomUUID(), member.id]) {
      const reply = await t.app.inject({
        method: 'POST',
        url: `/v1/operator/accounts/${id}/disable`,
        headers: owner(),
      });
      expect(reply.statusCode).toBe(404);
    }
    expect((await t.prisma.user.findUniqueOrThrow({ where: { id: member.id } })).disabledAt).toBeNull();
  });

  it('resets an owner password on the machine (npm run operator -- reset-password), ending its sessions', async () => {
    const first = await createOperator(t.prisma, 'first-owner@example.com', PASSWORD, 'owner');
    const token = await loginAs(t.app, 'first-owner@example.com', PASSWORD);
    await t.prisma.user.update({ where: { id: first.id }, data: { disabledAt: new Date() } });
    const run = await runOperatorCli(['reset-password', 'First-Owner@example.com'], t.databaseUrl);
    expect(run.code, run.stderr).toBe(0);
    const password = /new password \(shown once\): (\S+)/.exec(run.stdout)?.[1];
    expect(password).toBeTruthy();
    expect((await t.app.inject({ url: '/v1/operator/jobs', headers: bearer(token) })).statusCode).toBe(401);
    expect((await login('first-owner@example.com', PASSWORD)).statusCode).toBe(401);
    const fresh = await login('first-owner@example.com', password ?? '');
    expect(fresh.statusCode).toBe(201);
    expect(fresh.json().operator).toMatchObject({ role: 'owner' });
    const audit = await t.prisma.auditLog.findFirstOrThrow({ where: { action: 'operator.password.reset_locally' } });
    expect(audit).toMatchObject({ actorType: 'system', targetId: first.id });
    expect(JSON.stringify([audit.details, audit.before, audit.after])).not.toContain(password ?? '');

    const unknown = await runOperatorCli(['reset-password', 'nobody@example.com'], t.databaseUrl);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no operator with the email nobody@example.com');
  });
});

function runOperatorCli(
  args: string[],
  databaseUrl: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['scripts/operator.sh', ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
