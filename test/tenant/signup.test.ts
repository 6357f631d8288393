import { createHash, randomUUID } from 'node:crypto';
import { hashToken } from '@paddock/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { signupRequest, startTenantTestApp } from './support';

describe('POST /v1/signup', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTenantTestApp();
  });
  afterAll(() => t.close());

  const counts = async () => ({
    tenants: await t.prisma.tenant.count(),
    users: await t.prisma.user.count(),
    keys: await t.prisma.apiKey.count(),
    subscriptions: await t.prisma.subscription.count(),
    workflows: await t.prisma.workflow.count(),
    jobs: await t.prisma.jobRecord.count(),
    idempotency: await t.prisma.idempotencyRecord.count(),
    audit: await t.prisma.auditLog.count(),
  });

  it('creates tenant, owner, subscription, API key, workflow and exactly one provisioning job', async () => {
    const key = randomUUID();
    const reply = await t.app.inject(
      signupRequest({ email: ' Ada@Example.COM ', workspaceName: '  Analytical   Engines  ', plan: 'starter' }, key),
    );
    expect(reply.statusCode).toBe(202);
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.headers['idempotent-replayed']).toBeUndefined();
    const body = reply.json();
    expect(body).toMatchObject({
      tenant: { slug: 'analytical-engines', name: 'Analytical Engines', status: 'provisioning', plan: 'starter' },
      user: { email: 'ada@example.com', role: 'owner' },
      apiKey: { prefix: expect.stringMatching(/^pdk_live_[0-9a-f]{12}$/) },
    });
    expect(body.apiKey.key.startsWith(`${body.apiKey.prefix}_`)).toBe(true);

    const tenant = await t.prisma.tenant.findUniqueOrThrow({ where: { id: body.tenant.id }, include: { plan: true } });
    expect(tenant).toMatchObject({ status: 'provisioning', slug: 'analytical-engines' });
    expect(tenant.plan.code).toBe('starter');
    const user = await t.prisma.user.findUniqueOrThrow({ where: { id: body.user.id } });
    expect(user).toMatchObject({ tenantId: tenant.id, role: 'owner', email: 'ada@example.com' });
    const subscription = await t.prisma.subscription.findFirstOrThrow({ where: { tenantId: tenant.id } });
    expect(subscription.status).toBe('active');
    expect(subscription.currentPeriodEnd.getTime()).toBeGreaterThan(subscription.currentPeriodStart.getTime());

    const apiKey = await t.prisma.apiKey.findUniqueOrThrow({ where: { id: body.apiKey.id } });
    expect(apiKey).toMatchObject({ tenantId: tenant.id, userId: user.id, prefix: body.apiKey.prefix });
    expect(apiKey.keyHash).toBe(hashToken(body.apiKey.key));

    const workflows = await t.prisma.workflow.findMany({ where: { tenantId: tenant.id } });
    expect(workflows).toHaveLength(1);
    expect(workflows[0]).toMatchObject({ id: body.workflowId, kind: 'provision', status: 'running' });
    const jobs = await t.prisma.jobRecord.findMany({ where: { tenantId: tenant.id } });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      name: 'tenant.provision',
      queue: 'provisioning',
      status: 'queued',
      workflowId: body.workflowId,
      payload: { tenantId: tenant.id, workflowId: body.workflowId },
    });
    const queued = await t.queues.provisioning.getJob(jobs[0]?.jobId ?? '');
    expect(queued?.data).toEqual({ tenantId: tenant.id, workflowId: body.workflowId });
    const audit = await t.prisma.auditLog.findFirstOrThrow({ where: { action: 'tenant.signup', tenantId: tenant.id } });
    expect(audit.actorId).toBe(user.id);

    // The key is stored nowhere in plaintext: not in the idempotency record, not in the audit log.
    const record = await t.prisma.idempotencyRecord.findFirstOrThrow({ where: { key } });
    const everything = JSON.stringify([record, audit, apiKey], (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    expect(everything).not.toContain(body.apiKey.key);
    expect(record.responseSecretsEncrypted).toMatch(/^v1:/);
  });

  it('replays the same answer, API key included, for the same key and body, and writes nothing', async () => {
    const key = randomUUID();
    const request = signupRequest({ email: 'grace@example.com', workspaceName: 'Compilers', plan: 'team' }, key);
    const first = await t.app.inject(request);
    expect(first.statusCode).toBe(202);
    const before = await counts();
    const again = await t.app.inject(request);
    // Normalization makes a differently cased email the same request.
    const cased = await t.app.inject(
      signupRequest({ email: 'GRACE@example.com', workspaceName: 'Compilers ', plan: 'team' }, key),
    );
    for (const replay of [again, cased]) {
      expect(replay.statusCode).toBe(202);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.json()).toEqual(first.json());
    }
    expect(await counts()).toEqual(before);
    // The replayed key is the real one.
    const secrets = await t.app.inject({
      url: '/v1/secrets',
      headers: { authorization: `Bearer ${again.json().apiKey.key}` },
    });
    expect(secrets.statusCode).toBe(200);
  });

  it("keeps a password only as the owner's scrypt hash; a replay answers the same only with the same password", async () => {
    const key = randomUUID();
    const password = 'a passphrase at signup';
    const body = { email: 'pw@example.com', workspaceName: 'Passworded', plan: 'starter', password };
    const first = await t.app.inject(signupRequest(body, key));
    expect(first.statusCode).toBe(202);
    expect(first.body).not.toContain(password);
    const user = await t.prisma.user.findUniqueOrThrow({ where: { id: first.json().user.id } });
    expect(user.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(user.passwordChangedAt).not.toBeNull();
    // Nothing stored with the signup can give the password back: not the idempotency record (its request hash
    // only says there was a password), not the audit row.
    const record = await t.prisma.idempotencyRecord.findFirstOrThrow({ where: { key } });
    const audit = await t.prisma.auditLog.findFirstOrThrow({ where: { action: 'tenant.signup', actorId: user.id } });
    const stored = JSON.stringify([record, audit], (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    expect(stored).not.toContain(password);
    expect(stored).not.toContain(Buffer.from(password).toString('base64'));
    expect(record.requestHash).not.toBe(createHash('sha256').update(password).digest('hex'));
    expect(audit.details).toMatchObject({ passwordSet: true });
    const before = await counts();

    const again = await t.app.inject(signupRequest(body, key));
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    for (const changed of [
      { ...body, password: 'another passphrase' },
      { ...body, password: undefined },
    ]) {
      const conflict = await t.app.inject(signupRequest(changed, key));
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json().error.code).toBe('idempotency_conflict');
      expect(conflict.body).not.toContain('pdk_');
    }
    // The owner logs in with it.
    const login = await t.app.inject({ method: 'POST', url: '/v1/sessions', payload: { email: body.email, password } });
    expect(login.statusCode).toBe(201);
    expect(await counts()).toEqual({ ...before, audit: before.audit + 1 });
  });

  it('refuses the same key with a different body (409 idempotency_conflict), writing nothing', async () => {
    const key = randomUUID();
    expect(
      (await t.app.inject(signupRequest({ email: 'lin@example.com', workspaceName: 'Lin Co', plan: 'starter' }, key)))
        .statusCode,
    ).toBe(202);
    const before = await counts();
    const conflict = await t.app.inject(
      signupRequest({ email: 'lin@example.com', workspaceName: 'Lin Co', plan: 'business' }, key),
    );
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error.code).toBe('idempotency_conflict');
    expect(conflict.body).not.toContain('pdk_');
    expect(await counts()).toEqual(before);
  });

  it('answers a second signup for the same email with a clear 409', async () => {
    await t.app.inject(signupRequest({ email: 'dup@example.com', workspaceName: 'First One', plan: 'starter' }));
    const before = await counts();
    const second = await t.app.inject(
      signupRequest({ email: 'DUP@example.com', workspaceName: 'Second One', plan: 'starter' }),
    );
    expect(second.statusCode).toBe(409);
    expect(second.json().error).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('dup@example.com already exists'),
      details: [{ path: 'body.email' }],
    });
    expect(await counts()).toEqual(before);
  });

  it('refuses a workspace name whose handle is taken, and reserved names', async () => {
    await t.app.inject(signupRequest({ email: 'acme1@example.com', workspaceName: 'Acme Labs', plan: 'starter' }));
    const before = await counts();
    const taken = await t.app.inject(
      signupRequest({ email: 'acme2@example.com', workspaceName: 'ACME  labs.', plan: 'starter' }),
    );
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.details).toEqual([
      { path: 'body.workspaceName', message: 'handle "acme-labs" is taken' },
    ]);
    const reserved = await t.app.inject(
      signupRequest({ email: 'adm@example.com', workspaceName: 'Admin', plan: 'starter' }),
    );
    expect(reserved.statusCode).toBe(400);
    expect(reserved.json().error.details[0]).toMatchObject({ path: 'body.workspaceName' });
    expect(await counts()).toEqual(before);
  });

  it('validates email, workspace name, plan and the Idempotency-Key header', async () => {
    const before = await counts();
    const cases: Array<[Record<string, unknown>, string | undefined, string]> = [
      [{ email: 'not-an-email', workspaceName: 'Fine', plan: 'starter' }, randomUUID(), 'body.email'],
      [{ email: 'a@example.com', workspaceName: 'x', plan: 'starter' }, randomUUID(), 'body.workspaceName'],
      [{ email: 'a@example.com', workspaceName: '<script>', plan: 'starter' }, randomUUID(), 'body.workspaceName'],
      [{ email: 'a@example.com', workspaceName: 'y'.repeat(65), plan: 'starter' }, randomUUID(), 'body.workspaceName'],
      [{ email: 'a@example.com', workspaceName: 'Fine\u0000', plan: 'starter' }, randomUUID(), 'body.workspaceName'],
      [{ email: 'a@example.com', workspaceName: 'Fine', plan: 'platinum' }, randomUUID(), 'body.plan'],
      [
        { email: 'a@example.com', workspaceName: 'Fine', plan: 'starter', password: 'too short' },
        randomUUID(),
        'body.password',
      ],
      [
        { email: 'a@example.com', workspaceName: 'Fine', plan: 'starter', password: 'p'.repeat(257) },
        randomUUID(),
        'body.password',
      ],
      [
        { email: 'a@example.com', workspaceName: 'Fine', plan: 'starter', password: 123456789012 },
        randomUUID(),
        'body.password',
      ],
      [{ email: 'a@example.com', workspaceName: 'Fine', plan: 'starter' }, undefined, 'headers.idempotency-key'],
      [{ email: 'a@example.com', workspaceName: 'Fine', plan: 'starter' }, 'short', 'headers.idempotency-key'],
    ];
    for (const [body, key, path] of cases) {
      const reply = await t.app.inject({
        method: 'POST',
        url: '/v1/signup',
        headers: key === undefined ? {} : { 'idempotency-key': key },
        payload: body,
      });
      expect({ body, status: reply.statusCode }).toEqual({ body, status: 400 });
      expect(reply.json().error.code).toBe('validation_failed');
      expect(reply.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const unknownPlan = await t.app.inject(
      signupRequest({ email: 'a@example.com', workspaceName: 'Fine', plan: 'platinum' }),
    );
    expect(unknownPlan.json().error.message).toContain('starter, team, business');
    expect(await counts()).toEqual(before);
  });

  it('lets exactly one of many concurrent signups for one email, or one key with different bodies, through', async () => {
    const sameEmail = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.app.inject(signupRequest({ email: 'race@example.com', workspaceName: `Race ${i}`, plan: 'starter' })),
      ),
    );
    expect(sameEmail.map((r) => r.statusCode).sort()).toEqual([202, ...Array(19).fill(409)]);
    expect(await t.prisma.user.count({ where: { email: 'race@example.com' } })).toBe(1);

    const key = randomUUID();
    const sameKey = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.app.inject(
          signupRequest({ email: `key-race-${i}@example.com`, workspaceName: `Key ${i}`, plan: 'starter' }, key),
        ),
      ),
    );
    expect(sameKey.map((r) => r.statusCode).sort()).toEqual([202, ...Array(19).fill(409)]);
    const codes = sameKey.filter((r) => r.statusCode === 409).map((r) => r.json().error.code);
    expect(new Set(codes)).toEqual(new Set(['idempotency_conflict']));
    expect(await t.prisma.user.count({ where: { email: { startsWith: 'key-race-' } } })).toBe(1);
  });

  it('treats an expired Idempotency-Key as spent: a new signup may use it, and the old key is no longer shown', async () => {
    const key = randomUUID();
    const first = await t.app.inject(
      signupRequest({ email: 'old@example.com', workspaceName: 'Old Times', plan: 'starter' }, key),
    );
    expect(first.statusCode).toBe(202);
    await t.prisma.idempotencyRecord.updateMany({ where: { key }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    const reused = await t.app.inject(
      signupRequest({ email: 'new@example.com', workspaceName: 'New Times', plan: 'starter' }, key),
    );
    expect(reused.statusCode).toBe(202);
    expect(reused.headers['idempotent-replayed']).toBeUndefined();
    expect(reused.json().tenant.id).not.toBe(first.json().tenant.id);
    // Replaying the first request now is a new signup attempt for an email that exists: a 409, not the old key.
    const late = await t.app.inject(
      signupRequest({ email: 'old@example.com', workspaceName: 'Old Times', plan: 'starter' }, randomUUID()),
    );
    expect(late.statusCode).toBe(409);
    expect(late.body).not.toContain(first.json().apiKey.key);
    expect(await t.prisma.idempotencyRecord.count({ where: { key } })).toBe(1);
  });

  it('gives a name in another script a stable handle', async () => {
    const reply = await t.app.inject(
      signupRequest({ email: 'tokyo@example.com', workspaceName: '東京ラボ', plan: 'starter' }),
    );
    expect(reply.statusCode).toBe(202);
    expect(reply.json().tenant).toMatchObject({
      name: '東京ラボ',
      slug: expect.stringMatching(/^workspace-[0-9a-f]{10}$/),
    });
  });
});
