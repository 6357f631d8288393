import type { GatewayConnector } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { logIn, type SignedUp, type SignedUpUser, signUp, signUpWithPassword, startTenantTestApp } from './support';

const ATTACKER_PASSWORD = 'attacker password 1';
// Endless streams of the caller's own data (no id to name another tenant's row): an inject would never return.
// test/tenant/decision-stream.test.ts shows another tenant's decisions never reach a stream.
const STREAMS_CHECKED_ELSEWHERE = new Set(['GET /v1/decisions/stream']);
const chain = (step: string) => `name: shared-name\nagents:\n  ${step}:\n    run: echo ${step}\n`;

interface Probe {
  method: 'GET' | 'PUT' | 'DELETE' | 'POST' | 'PATCH';
  /** The route as registered, so the walk can prove it covers every tenant route. */
  route: string;
  url: string;
  payload?: Record<string, unknown>;
  /** 404 where the id names the other tenant's row; otherwise the answer concerns the caller's own data only. */
  status: number;
  /** When the caller's user session gets another answer than its API key. */
  sessionStatus?: number;
  /** Nothing of the victim may appear in the answer. */
  mustNotContain: string[];
}

describe('cross-tenant isolation on every tenant route', () => {
  let t: TestApp;
  let attacker: SignedUp;
  // Calls with a user session instead of an API key: sessions are scoped to their tenant exactly like keys.
  let sessionAttacker: SignedUpUser;
  let sessionHeaders: { authorization: string };
  let victim: SignedUpUser;
  let victimSession: { authorization: string };
  let victimChainId: string;
  let victimRunId: string;
  let victimDecisionId: string;
  let victimInvoiceId: string;
  let victimAlertId: string;
  let victimHookId: string;
  let victimKeyId: string;
  let victimMemberId: string;
  // Every attempt to reach any box: a request naming another tenant's run or decision must never get that far.
  const boxCalls: string[] = [];
  const recordingConnector: GatewayConnector = {
    transport: (boxId) => async () => {
      boxCalls.push(`open ${boxId}`);
      throw new Error('no box in this test');
    },
    readFile: async (boxId) => {
      boxCalls.push(`read ${boxId}`);
      return undefined;
    },
  };

  beforeAll(async () => {
    t = await startTenantTestApp({ boxConnector: () => recordingConnector });
    attacker = await signUp(t.app, 'attacker');
    sessionAttacker = await signUpWithPassword(t.app, 'attacker', ATTACKER_PASSWORD);
    sessionHeaders = (await logIn(t.app, sessionAttacker.email, ATTACKER_PASSWORD)).headers;
    victim = await signUpWithPassword(t.app, 'victim');
    victimSession = (await logIn(t.app, victim.email, victim.password)).headers;
    const put = await t.app.inject({
      method: 'PUT',
      url: '/v1/secrets/VICTIM_TOKEN',
      headers: victim.headers,
      payload: { value: 'victim-secret-value' },
    });
    expect(put.statusCode).toBe(201);
    for (const step of ['one', 'two']) {
      const reply = await t.app.inject({
        method: 'POST',
        url: '/v1/chains',
        headers: victim.headers,
        payload: { definition: chain(step) },
      });
      victimChainId = reply.json().chain.id;
    }
    const invited = await t.app.inject({
      method: 'POST',
      url: '/v1/members',
      headers: victimSession,
      payload: { email: 'victim-member@example.com', role: 'member' },
    });
    expect(invited.statusCode).toBe(201);
    victimMemberId = invited.json().member.id;
    const box = await t.prisma.box.create({ data: { tenantId: victim.tenantId, provider: 'local' } });
    // An issued invoice and an alert meant for the victim's eyes.
    victimInvoiceId = (
      await t.prisma.invoice.create({
        data: {
          tenantId: victim.tenantId,
          number: `PDK-VICTIM-${victim.tenantId.slice(0, 8)}`,
          status: 'issued',
          issuedAt: new Date(),
          periodStart: new Date('2026-10-01T00:00:00Z'),
          periodEnd: new Date('2026-11-01T00:00:00Z'),
          totalMinor: 424_242,
        },
      })
    ).id;
    victimAlertId = (
      await t.prisma.alert.create({
        data: {
          tenantId: victim.tenantId,
          boxId: box.id,
          severity: 'warning',
          code: 'watchdog_killed',
          message: 'victim step killed',
        },
      })
    ).id;
    const key = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: victim.headers,
      payload: { name: 'victim-key' },
    });
    expect(key.statusCode).toBe(201);
    victimKeyId = key.json().apiKey.id;
    victimHookId = (
      await t.prisma.webhookEndpoint.create({
        data: { tenantId: victim.tenantId, url: 'https://victim-hooks.example.com/x', secretEncrypted: 'unused' },
      })
    ).id;
    await t.prisma.usageEvent.create({
      data: {
        tenantId: victim.tenantId,
        boxId: box.id,
        idempotencyKey: `${box.id}:r:1`,
        runtimeRunId: 'r',
        seq: 1,
        type: 'complete',
        chainName: 'victim-chain',
        model: 'victim-model',
        tokensIn: 424_242,
        costMicros: 1_000_000n,
        // Unpriced usage shows in cost reads (GET /v1/costs) too: it must not show for anyone else.
        rating: 'unpriced',
        occurredAt: new Date(),
      },
    });
    const run = await t.prisma.run.create({
      data: {
        tenantId: victim.tenantId,
        boxId: box.id,
        chainId: victimChainId,
        runtimeRunId: 'victim-run',
        status: 'waiting_decision',
      },
    });
    victimRunId = run.id;
    await t.prisma.runStep.create({
      data: { tenantId: victim.tenantId, runId: run.id, name: 'draft', position: 0, status: 'succeeded' },
    });
    const decision = await t.prisma.decision.create({
      data: {
        tenantId: victim.tenantId,
        runId: run.id,
        boxId: box.id,
        runtimeDecisionId: 'review:4',
        stepName: 'review',
        prompt: 'victim prompt',
        subject: { options: ['approve', 'reject', 'request_changes'], show: 'draft' },
      },
    });
    victimDecisionId = decision.id;
  });
  afterAll(() => t.close());

  const victimState = async () =>
    JSON.stringify(
      {
        secrets: await t.prisma.tenantSecret.findMany({
          where: { tenantId: victim.tenantId },
          orderBy: { name: 'asc' },
        }),
        chains: await t.prisma.chain.findMany({ where: { tenantId: victim.tenantId }, orderBy: { name: 'asc' } }),
        alerts: await t.prisma.alert.findMany({ where: { tenantId: victim.tenantId }, orderBy: { id: 'asc' } }),
        hooks: await t.prisma.webhookEndpoint.findMany({ where: { tenantId: victim.tenantId } }),
        apiKeys: await t.prisma.apiKey.findMany({
          where: { tenantId: victim.tenantId, id: victimKeyId },
          orderBy: { id: 'asc' },
        }),
        versions: await t.prisma.chainVersion.findMany({
          where: { tenantId: victim.tenantId },
          orderBy: { version: 'asc' },
        }),
        usage: await t.prisma.usageEvent.findMany({ where: { tenantId: victim.tenantId } }),
        runs: await t.prisma.run.findMany({ where: { tenantId: victim.tenantId } }),
        steps: await t.prisma.runStep.findMany({ where: { tenantId: victim.tenantId } }),
        decisions: await t.prisma.decision.findMany({ where: { tenantId: victim.tenantId } }),
        audit: await t.prisma.auditLog.findMany({ where: { tenantId: victim.tenantId }, orderBy: { id: 'asc' } }),
        tenant: await t.prisma.tenant.findUnique({ where: { id: victim.tenantId } }),
        users: await t.prisma.user.findMany({ where: { tenantId: victim.tenantId } }),
        sessions: await t.prisma.session.findMany({ where: { tenantId: victim.tenantId } }),
        accountTokens: await t.prisma.accountToken.findMany({ where: { tenantId: victim.tenantId } }),
      },
      (_k, v) => (typeof v === 'bigint' ? String(v) : v),
    );

  it("answers 404 (or only the caller's own data) and leaves the other tenant's rows untouched", async () => {
    const hidden = ['VICTIM_TOKEN', 'victim-secret-value', victim.tenantId];
    const probes: Probe[] = [
      { method: 'GET', route: '/v1/secrets', url: '/v1/secrets', status: 200, mustNotContain: hidden },
      {
        method: 'DELETE',
        route: '/v1/secrets/:name',
        url: '/v1/secrets/VICTIM_TOKEN',
        status: 404,
        // The name is the caller's own input; what must not leak is the victim's value and identity.
        mustNotContain: ['victim-secret-value', victim.tenantId],
      },
      // Secret names live in the caller's namespace: this creates the attacker's own secret, never touches the victim's.
      {
        method: 'PUT',
        route: '/v1/secrets/:name',
        url: '/v1/secrets/VICTIM_TOKEN',
        payload: { value: 'attacker-value' },
        status: 201,
        mustNotContain: ['victim-secret-value', victim.tenantId],
      },
      // Chain names are per tenant too: the attacker gets a chain of their own with the same name.
      {
        method: 'POST',
        route: '/v1/chains',
        url: '/v1/chains',
        payload: { definition: chain('one') },
        status: 201,
        mustNotContain: [victimChainId, victim.tenantId],
      },
      { method: 'GET', route: '/v1/chains', url: '/v1/chains', status: 200, mustNotContain: [victimChainId] },
      // The attacker's own chain of that name; the attacker has no box, so nothing can start.
      {
        method: 'POST',
        route: '/v1/runs',
        url: '/v1/runs',
        payload: { chain: 'shared-name' },
        status: 409,
        mustNotContain: [victimChainId, victim.tenantId],
      },
      {
        method: 'GET',
        route: '/v1/runs',
        url: '/v1/runs?status=waiting_decision',
        status: 200,
        mustNotContain: [victimRunId],
      },
      {
        method: 'GET',
        route: '/v1/runs/:id',
        url: `/v1/runs/${victimRunId}`,
        status: 404,
        mustNotContain: ['victim-run'],
      },
      {
        method: 'GET',
        route: '/v1/runs/:id/events',
        url: `/v1/runs/${victimRunId}/events`,
        status: 404,
        mustNotContain: ['victim-run'],
      },
      {
        method: 'GET',
        route: '/v1/runs/:id/steps/:step/output',
        url: `/v1/runs/${victimRunId}/steps/draft/output`,
        status: 404,
        mustNotContain: ['victim-run'],
      },
      {
        method: 'GET',
        route: '/v1/runs/:id/steps/:step/terminal',
        url: `/v1/runs/${victimRunId}/steps/draft/terminal`,
        status: 404,
        mustNotContain: ['victim-run'],
      },
      {
        method: 'POST',
        route: '/v1/runs/:id/replay',
        url: `/v1/runs/${victimRunId}/replay`,
        payload: { from: 'draft' },
        status: 404,
        mustNotContain: ['victim-run'],
      },
      {
        method: 'POST',
        route: '/v1/runs/:id/cancel',
        url: `/v1/runs/${victimRunId}/cancel`,
        status: 404,
        mustNotContain: ['victim-run'],
      },
      { method: 'GET', route: '/v1/decisions', url: '/v1/decisions', status: 200, mustNotContain: [victimDecisionId] },
      {
        method: 'GET',
        route: '/v1/decisions/:id',
        url: `/v1/decisions/${victimDecisionId}`,
        status: 404,
        mustNotContain: ['victim prompt'],
      },
      {
        method: 'POST',
        route: '/v1/decisions/:id',
        url: `/v1/decisions/${victimDecisionId}`,
        payload: { choice: 'approve', note: 'attacker' },
        status: 404,
        mustNotContain: ['victim prompt', victimRunId],
      },
      {
        method: 'GET',
        route: '/v1/chains/:id/versions',
        url: `/v1/chains/${victimChainId}/versions`,
        status: 404,
        mustNotContain: ['echo two'],
      },
      {
        method: 'GET',
        route: '/v1/chains/:id/versions/:version',
        url: `/v1/chains/${victimChainId}/versions/1`,
        status: 404,
        mustNotContain: ['echo one'],
      },
      {
        method: 'GET',
        route: '/v1/chains/:id/versions/:a/diff/:b',
        url: `/v1/chains/${victimChainId}/versions/1/diff/2`,
        status: 404,
        mustNotContain: ['echo'],
      },
      {
        method: 'GET',
        route: '/v1/chains/:id/versions/:version/staging',
        url: `/v1/chains/${victimChainId}/versions/1/staging`,
        status: 404,
        mustNotContain: ['echo one'],
      },
      {
        method: 'POST',
        route: '/v1/chains/:id/activate',
        url: `/v1/chains/${victimChainId}/activate`,
        payload: { version: 1, reason: 'attacker' },
        status: 404,
        mustNotContain: ['echo one', victim.tenantId],
      },
      {
        method: 'POST',
        route: '/v1/chains/:id/rollback',
        url: `/v1/chains/${victimChainId}/rollback`,
        status: 404,
        mustNotContain: ['echo one', victim.tenantId],
      },
      {
        method: 'GET',
        route: '/v1/usage',
        url: '/v1/usage',
        status: 200,
        mustNotContain: ['424242', 'victim-chain', 'victim-model'],
      },
      {
        method: 'GET',
        route: '/v1/costs',
        url: '/v1/costs?groupBy=model',
        status: 200,
        mustNotContain: ['424242', 'victim-chain', 'victim-model'],
      },
      { method: 'GET', route: '/v1/alerts', url: '/v1/alerts', status: 200, mustNotContain: [victimAlertId] },
      {
        method: 'POST',
        route: '/v1/alerts/:id/acknowledge',
        url: `/v1/alerts/${victimAlertId}/acknowledge`,
        status: 404,
        mustNotContain: [victim.tenantId],
      },
      {
        method: 'GET',
        route: '/v1/webhooks',
        url: '/v1/webhooks',
        status: 200,
        mustNotContain: [victimHookId, 'victim-hooks'],
      },
      {
        method: 'POST',
        route: '/v1/webhooks',
        url: '/v1/webhooks',
        payload: { url: 'http://127.0.0.1:9/own' },
        status: 201,
        mustNotContain: [victimHookId, 'victim-hooks'],
      },
      {
        method: 'PATCH',
        route: '/v1/webhooks/:id',
        url: `/v1/webhooks/${victimHookId}`,
        payload: { url: 'http://127.0.0.1:9/stolen', enabled: false },
        status: 404,
        mustNotContain: ['victim-hooks'],
      },
      {
        method: 'DELETE',
        route: '/v1/webhooks/:id',
        url: `/v1/webhooks/${victimHookId}`,
        status: 404,
        mustNotContain: ['victim-hooks'],
      },
      {
        // The victim's secret (its ciphertext is in victimState) must not change, nor a new one come back.
        method: 'POST',
        route: '/v1/webhooks/:id/rotate-secret',
        url: `/v1/webhooks/${victimHookId}/rotate-secret`,
        status: 404,
        mustNotContain: ['victim-hooks', 'whsec_'],
      },
      {
        method: 'GET',
        route: '/v1/webhooks/:id/deliveries',
        url: `/v1/webhooks/${victimHookId}/deliveries`,
        status: 404,
        mustNotContain: ['victim-hooks'],
      },
      {
        method: 'GET',
        route: '/v1/invoices',
        url: '/v1/invoices',
        status: 200,
        mustNotContain: [victimInvoiceId, 'PDK-VICTIM', '424242'],
      },
      {
        method: 'GET',
        route: '/v1/invoices/:id',
        url: `/v1/invoices/${victimInvoiceId}`,
        status: 404,
        mustNotContain: ['PDK-VICTIM'],
      },
      {
        method: 'GET',
        route: '/v1/invoices/:id/download',
        url: `/v1/invoices/${victimInvoiceId}/download?format=csv`,
        status: 404,
        mustNotContain: ['PDK-VICTIM'],
      },
      {
        method: 'GET',
        route: '/v1/api-keys',
        url: '/v1/api-keys',
        status: 200,
        mustNotContain: [victimKeyId, 'victim-key'],
      },
      // A key for the caller's own workspace, never the victim's.
      {
        method: 'POST',
        route: '/v1/api-keys',
        url: '/v1/api-keys',
        payload: { name: 'probe-key' },
        status: 201,
        mustNotContain: [victimKeyId, victim.tenantId],
      },
      {
        method: 'DELETE',
        route: '/v1/api-keys/:id',
        url: `/v1/api-keys/${victimKeyId}`,
        status: 404,
        mustNotContain: ['victim-key'],
      },
      { method: 'GET', route: '/v1/me', url: '/v1/me', status: 200, mustNotContain: [victim.tenantId, victim.email] },
      {
        method: 'GET',
        route: '/v1/members',
        url: '/v1/members',
        status: 200,
        mustNotContain: [victimMemberId, victim.email, 'victim-member'],
      },
      // An invite into the caller's own workspace; the second caller's one meets the first's email (one account).
      {
        method: 'POST',
        route: '/v1/members',
        url: '/v1/members',
        payload: { email: 'probe-member@example.com', role: 'viewer' },
        status: 201,
        sessionStatus: 409,
        mustNotContain: [victim.tenantId, victimMemberId],
      },
      {
        method: 'PUT',
        route: '/v1/members/:id/role',
        url: `/v1/members/${victimMemberId}/role`,
        payload: { role: 'viewer' },
        status: 404,
        mustNotContain: ['victim-member'],
      },
      {
        method: 'DELETE',
        route: '/v1/members/:id',
        url: `/v1/members/${victimMemberId}`,
        status: 404,
        mustNotContain: ['victim-member'],
      },
      {
        method: 'POST',
        route: '/v1/members/accept',
        url: '/v1/members/accept',
        payload: { token: `pdi_${'A'.repeat(43)}`, password: 'taking over an invite' },
        status: 404,
        mustNotContain: ['victim-member'],
      },
      // The console's session check (GET /v1/me plus a cookie session's CSRF token).
      {
        method: 'GET',
        route: '/v1/sessions/current',
        url: '/v1/sessions/current',
        status: 200,
        mustNotContain: [victim.tenantId, victim.email],
      },
      // The caller's own password only (a key-only caller sets one; currentPassword then counts for nothing).
      {
        method: 'PUT',
        route: '/v1/me/password',
        url: '/v1/me/password',
        payload: { currentPassword: ATTACKER_PASSWORD, newPassword: 'attacker password 2' },
        status: 204,
        mustNotContain: [],
      },
      {
        method: 'POST',
        route: '/v1/sessions',
        url: '/v1/sessions',
        payload: { email: victim.email, password: 'guessing the victim' },
        status: 401,
        mustNotContain: [victim.tenantId, victim.userId],
      },
      // Last: it ends the caller's own session (an API key has none).
      {
        method: 'DELETE',
        route: '/v1/sessions/current',
        url: '/v1/sessions/current',
        status: 409,
        sessionStatus: 204,
        mustNotContain: [victim.tenantId],
      },
    ];

    const tenantRoutes = t.app.routeCatalog
      .filter((r) => r.url.startsWith('/v1/') && !r.url.startsWith('/v1/operator/') && r.url !== '/v1/signup')
      .map((r) => `${r.method} ${r.url}`)
      .filter((route) => !STREAMS_CHECKED_ELSEWHERE.has(route))
      .sort();
    expect(probes.map((p) => `${p.method} ${p.route}`).sort()).toEqual(tenantRoutes);

    const before = await victimState();
    const callers = [
      { credential: 'api key', headers: attacker.headers },
      { credential: 'session', headers: sessionHeaders },
    ];
    for (const caller of callers) {
      for (const probe of probes) {
        const reply = await t.app.inject({
          method: probe.method,
          url: probe.url,
          headers: caller.headers,
          ...(probe.payload ? { payload: probe.payload } : {}),
        });
        const status = caller.credential === 'session' ? (probe.sessionStatus ?? probe.status) : probe.status;
        expect({
          credential: caller.credential,
          url: probe.url,
          method: probe.method,
          status: reply.statusCode,
        }).toEqual({ credential: caller.credential, url: probe.url, method: probe.method, status });
        if (status === 404) expect(reply.json().error.code).toBe('not_found');
        for (const text of probe.mustNotContain) expect(reply.body).not.toContain(text);
      }
    }
    expect(await victimState()).toBe(before);
    // The attacker's session did reach its own data (it was no blanket refusal), then logged out.
    expect(await t.prisma.chain.count({ where: { tenantId: sessionAttacker.tenantId } })).toBe(1);
    expect((await t.app.inject({ url: '/v1/chains', headers: sessionHeaders })).statusCode).toBe(401);
    expect(boxCalls).toEqual([]);

    // The victim still sees exactly their own data.
    const versions = await t.app.inject({ url: `/v1/chains/${victimChainId}/versions`, headers: victim.headers });
    expect(versions.json().versions).toHaveLength(2);
    const bySession = await t.app.inject({ url: `/v1/chains/${victimChainId}/versions`, headers: victimSession });
    expect(bySession.json().versions).toHaveLength(2);
  });
});
