import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, type TestApp } from '../../apps/api/src/test-app';
import { signupRequest, signUp, startTenantTestApp } from '../tenant/support';
import { uniqueSuffix } from './support';

// Plans for operators on the real API and Postgres: create, read, change and deactivate (each audited), the limits'
// schema refusing bad input with nothing written, and a changed limit holding for the plan's tenants at once.
describe('operator plan routes', () => {
  let t: TestApp;
  let headers: { authorization: string };
  const suffix = uniqueSuffix();
  const email = `plans-${suffix}@example.com`;

  beforeAll(async () => {
    t = await startTenantTestApp();
    await createOperator(t.prisma, email, 'correct horse battery staple');
    headers = { authorization: `Bearer ${await loginAs(t.app, email, 'correct horse battery staple')}` };
  });
  afterAll(() => t?.close());

  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, h = headers) =>
    t.app.inject({ method, url, headers: h, ...(payload === undefined ? {} : { payload: payload as object }) });

  const body = (code: string) => ({
    code,
    name: 'Growth',
    priceMinor: 4900,
    provider: 'local',
    includedUsageMicros: 5_000_000,
    usageMarkupBps: 1500,
    boxHourMarkupBps: 0,
    limits: {
      maxConcurrentRuns: 4,
      maxChains: 10,
      maxAgentsPerChain: 20,
      maxSecrets: 50,
      spendCap: { monthlyMicros: 50_000_000, mode: 'hard' },
    },
  });

  it('creates, reads and lists a plan, audited as the operator', async () => {
    const created = await call('POST', '/v1/operator/plans', body(`growth-${suffix}`));
    expect(created.statusCode, created.body).toBe(201);
    const plan = created.json();
    expect(plan).toMatchObject({
      code: `growth-${suffix}`,
      currency: 'USD',
      includedUsageMicros: 5_000_000,
      usageMarkupBps: 1500,
      boxHourMarkupBps: 0,
      active: true,
      tenants: 0,
      limits: { spendCap: { monthlyMicros: 50_000_000, mode: 'hard', warnAtPercent: 80 } },
    });
    expect((await call('GET', `/v1/operator/plans/${plan.id}`)).json()).toEqual(plan);
    const listed = (await call('GET', '/v1/operator/plans')).json().plans as Array<{ id: string }>;
    expect(listed.map((p) => p.id)).toContain(plan.id);
    const audit = await t.prisma.auditLog.findMany({ where: { targetType: 'plan', targetId: plan.id } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'plan.create', actorType: 'user', actorLabel: email });
    const row = await t.prisma.plan.findUniqueOrThrow({ where: { id: plan.id } });
    expect(row.limits).toEqual(plan.limits);
  });

  it('refuses malformed plans and limits with field paths, writing nothing', async () => {
    const plansBefore = await t.prisma.plan.count();
    const auditBefore = await t.prisma.auditLog.count({ where: { targetType: 'plan' } });
    const base = body(`bad-${suffix}`);
    const cases: Array<[string, unknown]> = [
      ['code', { ...base, code: 'Has Spaces' }],
      ['priceMinor', { ...base, priceMinor: -1 }],
      ['usageMarkupBps', { ...base, usageMarkupBps: 1.5 }],
      ['currency', { ...base, currency: 'usd' }],
      ['limits', { ...base, limits: { maxRunz: 3 } }],
      ['limits.maxConcurrentRuns', { ...base, limits: { maxConcurrentRuns: -2 } }],
      ['limits.spendCap.mode', { ...base, limits: { spendCap: { monthlyMicros: 10, mode: 'medium' } } }],
      [
        'limits.spendCap.warnAtPercent',
        { ...base, limits: { spendCap: { monthlyMicros: 10, mode: 'soft', warnAtPercent: 120 } } },
      ],
      ['limits.spendCap.monthlyMicros', { ...base, limits: { spendCap: { mode: 'soft' } } }],
      ['', { ...base, price: 10 }],
    ];
    for (const [path, payload] of cases) {
      const reply = await call('POST', '/v1/operator/plans', payload);
      expect(reply.statusCode, `${path}: ${reply.body}`).toBe(400);
      const error = reply.json().error as { code: string; details: Array<{ path?: string }> };
      expect(error.code).toBe('validation_failed');
      if (path) expect(error.details.map((d) => d.path)).toContain(`body.${path}`);
      expect(reply.body).not.toMatch(/at .*\.ts:\d+/);
    }
    const taken = await call('POST', '/v1/operator/plans', body('starter'));
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('conflict');
    expect(await t.prisma.plan.count()).toBe(plansBefore);
    expect(await t.prisma.auditLog.count({ where: { targetType: 'plan' } })).toBe(auditBefore);

    const plan = (await call('POST', '/v1/operator/plans', body(`edit-${suffix}`))).json();
    expect((await call('PATCH', `/v1/operator/plans/${plan.id}`, {})).statusCode).toBe(400);
    expect((await call('PATCH', `/v1/operator/plans/${plan.id}`, { code: 'renamed' })).statusCode).toBe(400);
    expect((await call('PATCH', `/v1/operator/plans/${plan.id}`, { limits: { maxChains: 'ten' } })).statusCode).toBe(
      400,
    );
    const missing = await call('PATCH', '/v1/operator/plans/00000000-0000-4000-8000-000000000000', { name: 'x' });
    expect(missing.statusCode).toBe(404);
    expect((await t.prisma.plan.findUniqueOrThrow({ where: { id: plan.id } })).limits).toEqual(plan.limits);
    expect((await call('GET', '/v1/operator/plans', undefined, {} as never)).statusCode).toBe(401);
  });

  it("changes a plan's limits, audited before and after, and its tenants are held to them at once", async () => {
    const plan = (await call('POST', '/v1/operator/plans', body(`team-${suffix}`))).json();
    const tenant = await signUp(t.app, 'plan-change');
    await t.prisma.tenant.update({ where: { id: tenant.tenantId }, data: { planId: plan.id } });
    const upload = (definition: string) =>
      t.app.inject({ method: 'POST', url: '/v1/chains', headers: tenant.headers, payload: { definition } });
    expect((await upload('name: one\nagents:\n  a:\n    run: echo a\n')).statusCode).toBe(201);

    const changed = await call('PATCH', `/v1/operator/plans/${plan.id}`, {
      priceMinor: 5900,
      limits: { maxChains: 1, maxAgentsPerChain: 2 },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({
      priceMinor: 5900,
      limits: { maxChains: 1, maxAgentsPerChain: 2 },
      tenants: 1,
    });
    const audit = await t.prisma.auditLog.findFirstOrThrow({ where: { targetId: plan.id, action: 'plan.update' } });
    expect(audit.before).toMatchObject({ priceMinor: 4900, limits: body('x').limits });
    expect(audit.after).toMatchObject({ priceMinor: 5900, limits: { maxChains: 1, maxAgentsPerChain: 2 } });

    const second = await upload('name: two\nagents:\n  a:\n    run: echo a\n');
    expect(second.statusCode).toBe(409);
    expect(second.json().error).toMatchObject({
      code: 'plan_limit_reached',
      details: [{ limit: 'maxChains', current: 1, maximum: 1 }],
    });
    const wide = await upload(
      'name: one\nagents:\n  a:\n    run: echo a\n  b:\n    run: echo b\n  c:\n    run: echo c\n',
    );
    expect(wide.statusCode).toBe(409);
    expect(wide.json().error).toMatchObject({
      code: 'plan_limit_reached',
      details: [{ limit: 'maxAgentsPerChain', current: 3, maximum: 2 }],
    });
    expect(await t.prisma.chainVersion.count({ where: { tenantId: tenant.tenantId } })).toBe(1);
  });

  it('deactivates a plan: hidden from signups, kept by its tenants, audited once', async () => {
    const plan = (await call('POST', '/v1/operator/plans', body(`old-${suffix}`))).json();
    const tenant = await signUp(t.app, 'old-plan');
    await t.prisma.tenant.update({ where: { id: tenant.tenantId }, data: { planId: plan.id } });
    for (let i = 0; i < 2; i++) {
      const reply = await call('POST', `/v1/operator/plans/${plan.id}/deactivate`);
      expect(reply.statusCode).toBe(200);
      expect(reply.json()).toMatchObject({ active: false, tenants: 1 });
    }
    expect(await t.prisma.auditLog.count({ where: { targetId: plan.id, action: 'plan.deactivate' } })).toBe(1);
    const inactive = (await call('GET', '/v1/operator/plans?active=false')).json().plans as Array<{ id: string }>;
    expect(inactive.map((p) => p.id)).toContain(plan.id);
    const active = (await call('GET', '/v1/operator/plans?active=true')).json().plans as Array<{ id: string }>;
    expect(active.map((p) => p.id)).not.toContain(plan.id);
    const signup = await t.app.inject(
      signupRequest({ email: `late-${suffix}@example.com`, workspaceName: `Late ${suffix}`, plan: plan.code }),
    );
    expect(signup.statusCode).toBeGreaterThanOrEqual(400);
    expect(signup.statusCode).toBeLessThan(500);
    expect((await t.prisma.tenant.findUniqueOrThrow({ where: { id: tenant.tenantId } })).planId).toBe(plan.id);
  });
});
