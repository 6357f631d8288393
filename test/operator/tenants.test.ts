import type { StagingResult } from '@paddock/contracts';
import { finishStaging } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, type TestApp } from '../../apps/api/src/test-app';
import { logIn, signUpWithPassword, startTenantTestApp } from '../tenant/support';
import { failProvisioning, type NamedTenant, signUpNamed, uniqueSuffix } from './support';

const OPS_EMAIL = 'ops@example.com';
const OPS_PASSWORD = 'correct horse battery staple';

interface TenantRow {
  id: string;
  slug: string;
  name: string;
  status: string;
  statusReason: string | null;
  statusWorkflow: { id: string; kind: string; status: string; step: string | null; error: string | null } | null;
  plan: { code: string; name: string };
  ownerEmail: string | null;
  box: {
    id: string;
    status: string;
    address: string | null;
    runtimeVersion: string | null;
    lastSeenAt: string | null;
  } | null;
  createdAt: string;
}

// Operators' tenant routes on the real API and Postgres: finding tenants, a parked one's reason and workflow,
// and a chain version override recorded in the audit log.
describe('operator tenant routes', () => {
  let t: TestApp;
  let headers: { authorization: string };
  let operatorId: string;
  let zephyr: NamedTenant;
  let parked: NamedTenant;
  let other: NamedTenant;
  const suffix = uniqueSuffix();

  beforeAll(async () => {
    t = await startTenantTestApp();
    operatorId = (await createOperator(t.prisma, OPS_EMAIL, OPS_PASSWORD)).id;
    headers = { authorization: `Bearer ${await loginAs(t.app, OPS_EMAIL, OPS_PASSWORD)}` };
    zephyr = await signUpNamed(t.app, `Zephyr Labs ${suffix}`, `ceo-${suffix}@zephyr.example.com`);
    parked = await signUpNamed(t.app, `Parked Co ${suffix}`, `owner-${suffix}@parked.example.com`);
    other = await signUpNamed(t.app, `Other_Shop ${suffix}`, `boss-${suffix}@other.example.com`);
    // Zephyr is up and running on its box; Parked's provisioning failed for real (no box provider configured).
    await t.prisma.tenant.update({
      where: { id: zephyr.tenantId },
      data: { status: 'active', activatedAt: new Date() },
    });
    await t.prisma.box.create({
      data: {
        tenantId: zephyr.tenantId,
        provider: 'local',
        status: 'ready',
        address: '127.0.0.1',
        runtimeVersion: '1.2.3',
        lastSeenAt: new Date('2030-01-02T03:04:05.678Z'),
      },
    });
    await failProvisioning(t, parked.workflowId);
  });
  afterAll(() => t?.close());

  const get = (url: string, h: Record<string, string> = headers) => t.app.inject({ url, headers: h });
  const list = async (query = '') => {
    const reply = await get(`/v1/operator/tenants${query}`);
    expect(reply.statusCode, reply.body).toBe(200);
    return reply.json() as { tenants: TenantRow[]; nextCursor: string | null };
  };
  const activate = (tenantId: string, name: string, version: number | string, payload: unknown) =>
    t.app.inject({
      method: 'POST',
      url: `/v1/operator/tenants/${tenantId}/chains/${encodeURIComponent(name)}/versions/${version}/activate`,
      headers,
      payload: payload as Record<string, unknown>,
    });

  it('refuses callers without an operator session: none, forged, a tenant API key, a tenant user session', async () => {
    const user = await signUpWithPassword(t.app, 'tenant-user');
    const session = await logIn(t.app, user.email, user.password);
    const credentials = [{}, { authorization: `Bearer ${'x'.repeat(43)}` }, zephyr.headers, session.headers] as Array<
      Record<string, string>
    >;
    for (const h of credentials) {
      for (const url of ['/v1/operator/tenants', `/v1/operator/tenants/${zephyr.tenantId}`]) {
        const reply = await get(url, h);
        expect({ url, status: reply.statusCode, code: reply.json().error.code }).toEqual({
          url,
          status: 401,
          code: 'unauthenticated',
        });
      }
      const before = await t.prisma.auditLog.count();
      const post = await t.app.inject({
        method: 'POST',
        url: `/v1/operator/tenants/${zephyr.tenantId}/chains/x/versions/1/activate`,
        headers: h,
        payload: { reason: 'let me in' },
      });
      expect(post.statusCode).toBe(401);
      expect(await t.prisma.auditLog.count()).toBe(before);
    }
  });

  it('documents the routes as needing a bearer session', async () => {
    const doc = (await get('/docs/json', {})).json() as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    expect(doc.paths['/v1/operator/tenants']?.get?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/v1/operator/tenants/{id}']?.get?.security).toEqual([{ bearer: [] }]);
    expect(
      doc.paths['/v1/operator/tenants/{tenantId}/chains/{name}/versions/{version}/activate']?.post?.security,
    ).toEqual([{ bearer: [] }]);
  });

  it('lists tenants newest first with plan, owner email and current box, and no secrets', async () => {
    const { tenants, nextCursor } = await list();
    expect(nextCursor).toBeNull();
    const ids = tenants.map((row) => row.id);
    expect(ids.indexOf(other.tenantId)).toBeLessThan(ids.indexOf(parked.tenantId));
    expect(ids.indexOf(parked.tenantId)).toBeLessThan(ids.indexOf(zephyr.tenantId));
    const row = tenants.find((r) => r.id === zephyr.tenantId);
    expect(row).toMatchObject({
      name: zephyr.name,
      status: 'active',
      statusReason: null,
      statusWorkflow: null,
      plan: { code: 'starter' },
      ownerEmail: zephyr.email,
      box: { status: 'ready', address: '127.0.0.1', runtimeVersion: '1.2.3', lastSeenAt: '2030-01-02T03:04:05.678Z' },
    });
    expect(row?.createdAt).toBe(
      (await t.prisma.tenant.findUniqueOrThrow({ where: { id: zephyr.tenantId } })).createdAt.toISOString(),
    );
    const text = JSON.stringify(tenants);
    const secrets = [
      zephyr.headers.authorization.slice('Bearer '.length),
      ...(await t.prisma.apiKey.findMany()).map((key) => key.keyHash),
      ...(await t.prisma.sshKey.findMany()).map((key) => key.privateKeyEncrypted),
    ];
    expect(secrets.length).toBeGreaterThan(3);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain('scrypt$');
  });

  it('filters by status and by a case-insensitive prefix of slug, name or email; wildcards are literal', async () => {
    const ids = async (query: string) => (await list(query)).tenants.map((row) => row.id);
    expect(await ids('?status=provisioning_failed')).toEqual([parked.tenantId]);
    expect(await ids('?status=active')).toEqual([zephyr.tenantId]);
    expect(await ids(`?q=${encodeURIComponent('ZEPHYR labs')}`)).toEqual([zephyr.tenantId]);
    expect(await ids(`?q=${encodeURIComponent(`owner-${suffix}@PARKED`)}`)).toEqual([parked.tenantId]);
    const slug = (await t.prisma.tenant.findUniqueOrThrow({ where: { id: other.tenantId } })).slug;
    expect(await ids(`?q=${slug.slice(0, 8)}`)).toEqual([other.tenantId]);
    // "_" and "%" match themselves only: "Other_" finds the one name with an underscore, "%" finds nothing.
    expect(await ids(`?q=${encodeURIComponent('other_')}`)).toEqual([other.tenantId]);
    expect(await ids(`?q=${encodeURIComponent('othe%')}`)).toEqual([]);
    expect(await ids(`?q=${encodeURIComponent('%')}`)).toEqual([]);
    expect(await ids(`?q=ceo-${suffix}&status=suspended`)).toEqual([]);
    expect(await ids('?q=zephyr-labs-no-such')).toEqual([]);
  });

  it('pages with a keyset cursor: every tenant exactly once, a tenant added meanwhile does not shift pages', async () => {
    const all = (await list()).tenants.map((row) => row.id);
    expect(all.length).toBeGreaterThanOrEqual(4);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { tenants: TenantRow[]; nextCursor: string | null } = await list(
        `?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.tenants.map((row) => row.id));
      cursor = page.nextCursor;
      pages += 1;
      if (pages === 1) await signUpNamed(t.app, `Late Comer ${suffix}`, `late-${suffix}@example.com`);
    } while (cursor);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2));
  });

  it('shows a parked tenant with its reason, the failed workflow to retry and the box it got', async () => {
    const [row] = (await list('?status=provisioning_failed')).tenants;
    expect(row).toMatchObject({
      id: parked.tenantId,
      status: 'provisioning_failed',
      ownerEmail: parked.email,
      statusWorkflow: { id: parked.workflowId, kind: 'provision', status: 'failed', step: 'create_box' },
      box: { status: 'pending' },
    });
    expect(row?.statusReason).toMatch(
      /^create_box: The local provider is not configured.*PADDOCK_ALLOW_LOCAL_BOXES=true/,
    );
    expect(row?.statusWorkflow?.error).toBe(row?.statusReason);
    const detail = await get(`/v1/operator/tenants/${parked.tenantId}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({ statusReason: row?.statusReason, statusWorkflow: row?.statusWorkflow });
    // The id given is the one the retry route takes.
    const workflow = await get(`/v1/operator/workflows/${row?.statusWorkflow?.id}`);
    expect(workflow.json()).toMatchObject({ tenantId: parked.tenantId, status: 'failed', currentStep: 'create_box' });
  });

  it('shows one tenant with recent workflows and audit rows; unknown is 404, malformed 400', async () => {
    const reply = await get(`/v1/operator/tenants/${zephyr.tenantId}`);
    expect(reply.statusCode).toBe(200);
    const body = reply.json();
    expect(body).toMatchObject({ id: zephyr.tenantId, ownerEmail: zephyr.email, box: { runtimeVersion: '1.2.3' } });
    expect(body.workflows).toEqual([
      expect.objectContaining({ id: zephyr.workflowId, kind: 'provision', status: 'running' }),
    ]);
    const actions = (body.audit as Array<{ action: string; id: string }>).map((row) => row.action);
    expect(actions).toContain('tenant.signup');
    const missing = await get(`/v1/operator/tenants/${crypto.randomUUID()}`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
    const malformed = await get('/v1/operator/tenants/not-a-uuid');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.details[0].path).toBe('params.id');
  });

  it('answers bad list queries with 400 naming the field', async () => {
    for (const [query, path] of [
      ['?status=sleeping', 'querystring.status'],
      [`?q=${'a'.repeat(101)}`, 'querystring.q'],
      ['?limit=0', 'querystring.limit'],
      ['?cursor=bm90LWEtY3Vyc29y', 'querystring.cursor'],
      ['?extra=1', undefined],
    ] as const) {
      const reply = await get(`/v1/operator/tenants${query}`);
      expect({ query, status: reply.statusCode, code: reply.json().error.code }).toEqual({
        query,
        status: 400,
        code: 'validation_failed',
      });
      if (path) expect(reply.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
  });

  describe('chain version override', () => {
    const CHAIN = 'release notes';
    const result = (passed: boolean): StagingResult => ({
      passed,
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      error: null,
      references: [],
    });
    let rejectedId: string;

    beforeAll(async () => {
      const upload = await t.app.inject({
        method: 'POST',
        url: '/v1/chains',
        headers: zephyr.headers,
        payload: {
          definition: `name: ${CHAIN}\nagents:\n  a:\n    run: echo hi\n`,
          referenceInputs: [{ name: 'r', checks: [{ step: 'a', contains: 'x' }] }],
        },
      });
      expect(upload.statusCode, upload.body).toBe(201);
      rejectedId = upload.json().version.id;
      await t.prisma.chainVersion.update({ where: { id: rejectedId }, data: { syncedAt: new Date() } });
      expect(await finishStaging({ prisma: t.prisma }, rejectedId, result(false))).toEqual({
        status: 'rejected',
        activated: false,
      });
    });

    const snapshot = async () => ({
      audit: await t.prisma.auditLog.count(),
      versions: await t.prisma.chainVersion.findMany({ orderBy: { id: 'asc' } }),
      chains: await t.prisma.chain.findMany({ orderBy: { id: 'asc' } }),
    });

    it('refuses bad input with 400 and a machine-readable code, writing nothing', async () => {
      const before = await snapshot();
      const cases: Array<[string, number | string, unknown, string]> = [
        [zephyr.tenantId, 1, {}, 'body.reason'],
        [zephyr.tenantId, 1, { reason: 'no' }, 'body.reason'],
        [zephyr.tenantId, 1, { reason: '   ok   ' }, 'body.reason'],
        [zephyr.tenantId, 1, { reason: 'x'.repeat(501) }, 'body.reason'],
        [zephyr.tenantId, 1, { reason: 42 }, 'body.reason'],
        [zephyr.tenantId, 1, { reason: 'checks are flaky', force: true }, 'body'],
        [zephyr.tenantId, 0, { reason: 'checks are flaky' }, 'params.version'],
        [zephyr.tenantId, 'latest', { reason: 'checks are flaky' }, 'params.version'],
        ['not-a-uuid', 1, { reason: 'checks are flaky' }, 'params.tenantId'],
      ];
      for (const [tenantId, version, payload, path] of cases) {
        const reply = await activate(tenantId, CHAIN, version, payload);
        const error = reply.json().error;
        expect({ payload, version, status: reply.statusCode, code: error.code }).toEqual({
          payload,
          version,
          status: 400,
          code: 'validation_failed',
        });
        expect(error.details.map((d: { path: string }) => d.path).join(' ')).toContain(path);
      }
      const bad = await activate(zephyr.tenantId, '-bad name', 1, { reason: 'checks are flaky' });
      expect(bad.statusCode).toBe(400);
      expect(await snapshot()).toEqual(before);
    });

    it("answers 404 for an unknown tenant, chain or version and for another tenant's chain, writing nothing", async () => {
      const before = await snapshot();
      for (const [tenantId, name, version] of [
        [crypto.randomUUID(), CHAIN, 1],
        [zephyr.tenantId, 'no-such-chain', 1],
        [zephyr.tenantId, CHAIN, 2],
        [other.tenantId, CHAIN, 1],
      ] as const) {
        const reply = await activate(tenantId, name, version, { reason: 'checks are flaky' });
        expect({ tenantId, name, version, status: reply.statusCode, code: reply.json().error.code }).toEqual({
          tenantId,
          name,
          version,
          status: 404,
          code: 'not_found',
        });
      }
      expect(await snapshot()).toEqual(before);
    });

    it('activates a rejected version as an override recorded with the operator and the reason', async () => {
      const reply = await activate(zephyr.tenantId, CHAIN, 1, { reason: '  reference check is flaky, see #42  ' });
      expect(reply.statusCode, reply.body).toBe(200);
      expect(reply.json()).toMatchObject({
        activeVersion: { id: rejectedId, version: 1 },
        lastKnownGoodVersion: null,
        previous: null,
      });
      const version = await t.prisma.chainVersion.findUniqueOrThrow({ where: { id: rejectedId } });
      expect(version).toMatchObject({
        status: 'active',
        overriddenByUserId: operatorId,
        overrideReason: 'reference check is flaky, see #42',
      });
      const audit = await t.prisma.auditLog.findMany({
        where: { tenantId: zephyr.tenantId, action: 'chain_version.override' },
      });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        actorType: 'user',
        actorId: operatorId,
        actorLabel: OPS_EMAIL,
        targetType: 'chain_version',
        targetId: rejectedId,
        details: { version: 1, fromStatus: 'rejected', reason: 'reference check is flaky, see #42', by: 'operator' },
      });
      expect(audit[0]?.ipAddress).toBeTruthy();
      expect(audit[0]?.requestId).toBeTruthy();
      const detail = (await get(`/v1/operator/tenants/${zephyr.tenantId}`)).json();
      expect(detail.chains).toEqual([
        expect.objectContaining({
          name: CHAIN,
          activeVersion: 1,
          lastKnownGoodVersion: null,
          latestVersion: { version: 1, status: 'active' },
        }),
      ]);
      expect(detail.audit[0]).toMatchObject({ action: 'chain_version.override', actorLabel: OPS_EMAIL });
    });

    it('answers 409 for a version not on the box yet and for a tenant being deleted, writing nothing', async () => {
      const upload = await t.app.inject({
        method: 'POST',
        url: '/v1/chains',
        headers: zephyr.headers,
        payload: { definition: `name: ${CHAIN}\nagents:\n  a:\n    run: echo two\n` },
      });
      expect(upload.json().version.version).toBe(2);
      const before = await snapshot();
      const unsynced = await activate(zephyr.tenantId, CHAIN, 2, { reason: 'ship it now' });
      expect(unsynced.statusCode).toBe(409);
      expect(unsynced.json().error.message).toContain('has not reached the box');
      await t.prisma.tenant.update({ where: { id: zephyr.tenantId }, data: { status: 'deleting' } });
      try {
        const deleting = await activate(zephyr.tenantId, CHAIN, 1, { reason: 'ship it now' });
        expect(deleting.statusCode).toBe(409);
        expect(deleting.json().error).toMatchObject({ code: 'conflict', message: expect.stringContaining('deleting') });
      } finally {
        await t.prisma.tenant.update({ where: { id: zephyr.tenantId }, data: { status: 'active' } });
      }
      expect(await snapshot()).toEqual(before);
    });

    it('answers 409 for the version already active, writing and auditing nothing', async () => {
      const before = await snapshot();
      const reply = await activate(zephyr.tenantId, CHAIN, 1, { reason: 'clicked twice' });
      expect(reply.statusCode).toBe(409);
      expect(reply.json().error).toMatchObject({ code: 'conflict', message: expect.stringContaining('already') });
      expect(await snapshot()).toEqual(before);
    });
  });

  it('shows a suspended tenant with the reason and the suspend workflow', async () => {
    const sleepy = await signUpNamed(t.app, `Sleepy ${suffix}`, `sleepy-${suffix}@example.com`);
    // Provisioning finished; an operator suspends it through the API, and the workflow's last step has run.
    await t.prisma.workflow.update({ where: { id: sleepy.workflowId }, data: { status: 'succeeded' } });
    await t.prisma.tenant.update({ where: { id: sleepy.tenantId }, data: { status: 'active' } });
    const started = await t.app.inject({
      method: 'POST',
      url: '/v1/operator/workflows',
      headers,
      payload: { kind: 'suspend', tenantId: sleepy.tenantId },
    });
    expect(started.statusCode, started.body).toBe(202);
    const { workflowId } = started.json() as { workflowId: string };
    await t.prisma.workflow.update({
      where: { id: workflowId },
      data: { status: 'succeeded', finishedAt: new Date() },
    });
    await t.prisma.tenant.update({
      where: { id: sleepy.tenantId },
      data: { status: 'suspended', suspendedAt: new Date(), statusReason: 'suspended by an operator' },
    });
    const [row] = (await list('?status=suspended')).tenants;
    expect(row).toMatchObject({
      id: sleepy.tenantId,
      statusReason: 'suspended by an operator',
      statusWorkflow: { id: workflowId, kind: 'suspend', status: 'succeeded' },
      box: null,
    });
    const detail = (await get(`/v1/operator/tenants/${sleepy.tenantId}`)).json();
    expect(detail.workflows.map((w: { id: string }) => w.id)).toEqual([workflowId, sleepy.workflowId]);
    expect(detail.audit[0]).toMatchObject({ action: 'tenant.suspend', actorLabel: OPS_EMAIL });
  });
});
