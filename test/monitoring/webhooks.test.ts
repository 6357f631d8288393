import { seededRandom } from '@paddock/monitoring';
import { startWorkers, createPrismaJobRecords } from '@paddock/jobs';
import {
  DISABLE_AFTER_FAILED_DELIVERIES,
  deliverWebhook,
  evaluateMonitoringRound,
  sendDigests,
  postWebhook,
} from '@paddock/services';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../apps/worker/src/handlers';
import { createOperator, loginAs, type TestApp } from '../../apps/api/src/test-app';
import { type SignedUp, signUp, startTenantTestApp } from '../tenant/support';
import { startReceiver } from './receiver';
import { seedChain, seedRuns, seedVersion, times, waitFor } from './support';

const HOUR = 3_600_000;
const loopback = { allowLoopback: true };

let t: TestApp;
let ops: { authorization: string };
let a: SignedUp;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let workers: ReturnType<typeof startWorkers>;

beforeAll(async () => {
  t = await startTenantTestApp();
  await createOperator(t.prisma, 'hooks-ops@example.com', 'correct horse battery staple');
  ops = { authorization: `Bearer ${await loginAs(t.app, 'hooks-ops@example.com', 'correct horse battery staple')}` };
  a = await signUp(t.app, 'hooks-a');
  receiver = await startReceiver();
  workers = startWorkers({
    connection: t.redis,
    prefix: (t.queues.control.opts.prefix as string) ?? 'bull',
    workerId: 'webhook-test-worker',
    records: createPrismaJobRecords(t.prisma),
    handlers: createHandlers({ prisma: t.prisma, queues: t.queues, webhooks: { vault: t.vault, policy: loopback } }),
    logger: pino({ level: 'silent' }),
    concurrency: { control: 2 },
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
  });
}, 120_000);

afterAll(async () => {
  await Promise.all((workers ?? []).map((worker) => worker.close()));
  await receiver?.close();
  await t?.close();
});

const create = async (url: string, headers: { authorization: string }, body: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url, headers, payload: body });

describe('webhook endpoints', () => {
  it('shows the signing secret once and stores it encrypted', async () => {
    const reply = await create('/v1/webhooks', a.headers, { url: receiver.url('/once'), description: 'pager' });
    expect(reply.statusCode).toBe(201);
    const { endpoint, secret } = reply.json();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const list = await t.app.inject({ url: '/v1/webhooks', headers: a.headers });
    expect(JSON.stringify(list.json())).not.toContain(secret);
    const row = await t.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    expect(row.secretEncrypted).not.toContain(secret);
    expect(row.tenantId).toBe(a.tenantId);
    // Another workspace and the operators' list do not see it; deleting it from elsewhere is a 404.
    const other = await signUp(t.app, 'hooks-b');
    expect((await t.app.inject({ url: '/v1/webhooks', headers: other.headers })).json().endpoints).toEqual([]);
    expect((await t.app.inject({ url: '/v1/operator/webhooks', headers: ops })).json().endpoints).toEqual([]);
    const foreign = await t.app.inject({
      method: 'DELETE',
      url: `/v1/webhooks/${endpoint.id}`,
      headers: other.headers,
    });
    expect(foreign.statusCode).toBe(404);
    expect(await t.prisma.webhookEndpoint.count({ where: { id: endpoint.id } })).toBe(1);
    const own = await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${endpoint.id}`, headers: a.headers });
    expect(own.statusCode).toBe(204);
  });

  it('refuses URLs into private ranges (SSRF), even with loopback allowed for tests', async () => {
    for (const url of [
      'http://10.0.0.5/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::ffff:192.168.0.1]/x',
      'http://192.168.1.1/',
      'ftp://127.0.0.1/x',
    ]) {
      const reply = await create('/v1/webhooks', a.headers, { url });
      expect(reply.statusCode, url).toBe(400);
      expect(reply.json().error.code).toBe('validation_failed');
    }
    expect(await t.prisma.webhookEndpoint.count({ where: { tenantId: a.tenantId } })).toBe(0);
  });

  it('checks the address at connect time: a name resolving to loopback is refused in production', async () => {
    const before = receiver.received.length;
    const result = await postWebhook(new URL(`http://localhost:${receiver.port}/ssrf`), 'k', '{}', {
      allowLoopback: false,
    });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/not a public address/);
    expect(receiver.received.length).toBe(before);
  });
});

describe('alert delivery', () => {
  it('a cost-drift alert reaches the tenant and operator endpoints, signed, and is logged as delivered', async () => {
    const tenantHook = (await create('/v1/webhooks', a.headers, { url: receiver.url('/tenant') })).json();
    receiver.trust('/tenant', tenantHook.secret);
    const opsHook = (
      await create('/v1/operator/webhooks', ops, { url: receiver.url('/ops'), minSeverity: 'info' })
    ).json();
    receiver.trust('/ops', opsHook.secret);

    // A chain whose token use tripled after a prompt change (version 2) six hours ago.
    const box = await t.prisma.box.create({ data: { tenantId: a.tenantId, provider: 'local', status: 'ready' } });
    const chain = await seedChain(t.prisma, a.tenantId, 'summarize');
    const random = seededRandom(11);
    const now = Date.now();
    await seedRuns(
      t.prisma,
      { tenantId: a.tenantId, boxId: box.id, ...chain },
      times(new Date(now - 6 * HOUR), 8, 12).map((at) => ({ at, tokens: Math.round(10_000 * (0.8 + 0.4 * random())) })),
    );
    const v2 = await seedVersion(t.prisma, a.tenantId, chain.chainId, 2);
    const [drifted] = await seedRuns(
      t.prisma,
      { tenantId: a.tenantId, boxId: box.id, chainId: chain.chainId, versionId: v2 },
      [{ at: new Date(now - 60_000), tokens: 31_000 }],
    );

    const round = await evaluateMonitoringRound({ prisma: t.prisma, queues: t.queues });
    expect(round.opened).toBeGreaterThanOrEqual(1);
    const alert = await t.prisma.alert.findFirstOrThrow({ where: { code: 'cost_drift_run', tenantId: a.tenantId } });

    const arrived = await waitFor('both deliveries', async () => {
      const mine = receiver.received.filter(
        (r) => (r.body.alert as { id?: string } | undefined)?.id === alert.id && r.body.type === 'alert.opened',
      );
      return mine.length >= 2 ? mine : null;
    });
    expect(arrived.map((r) => r.verdict)).toEqual(['valid', 'valid']);
    const toTenant = arrived.find((r) => r.path === '/tenant')?.body as { id: string; alert: Record<string, unknown> };
    expect(toTenant.alert).not.toHaveProperty('tenantId');
    expect(toTenant.alert).toMatchObject({ code: 'cost_drift_run', scope: { chainId: chain.chainId } });
    const evidence = toTenant.alert.evidence as Array<{ metric: string; sampleRunIds: string[] }>;
    expect(evidence.find((e) => e.metric === 'tokens per run')?.sampleRunIds[0]).toBe(drifted);
    const toOps = arrived.find((r) => r.path === '/ops')?.body as { alert: Record<string, unknown> };
    expect(toOps.alert.tenantId).toBe(a.tenantId);

    const log = await waitFor('the delivery log', async () => {
      const reply = await t.app.inject({
        url: `/v1/webhooks/${tenantHook.endpoint.id}/deliveries`,
        headers: a.headers,
      });
      const deliveries = reply.json().deliveries as Array<{ status: string; id: string }>;
      return deliveries.some((d) => d.status === 'delivered') ? deliveries : null;
    });
    expect(log.find((d) => d.id === toTenant.id)).toMatchObject({
      status: 'delivered',
      attempts: 1,
      lastStatusCode: 200,
    });

    // The same drift next round: one alert, no second delivery.
    const again = await evaluateMonitoringRound({ prisma: t.prisma, queues: t.queues });
    expect(again.opened).toBe(0);
    expect(await t.prisma.webhookDelivery.count({ where: { alertId: alert.id } })).toBe(2);
  });

  it('records each failed attempt, fails the delivery on its last, and disables the endpoint after repeated failures', async () => {
    const hook = (await create('/v1/webhooks', a.headers, { url: receiver.url('/failing') })).json();
    receiver.trust('/failing', hook.secret);
    receiver.answer(500);
    try {
      const deps = { prisma: t.prisma, vault: t.vault, policy: loopback };
      for (let i = 0; i < DISABLE_AFTER_FAILED_DELIVERIES; i++) {
        const delivery = await t.prisma.webhookDelivery.create({
          data: { endpointId: hook.endpoint.id, tenantId: a.tenantId, event: 'alert.opened', payload: { n: i } },
        });
        await expect(
          deliverWebhook(deps, { deliveryId: delivery.id }, { attempt: 1, finalAttempt: false }),
        ).rejects.toThrow(/receiver answered 500/);
        expect(await t.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: delivery.id } })).toMatchObject({
          status: 'pending',
          attempts: 1,
          lastStatusCode: 500,
        });
        await expect(
          deliverWebhook(deps, { deliveryId: delivery.id }, { attempt: 2, finalAttempt: true }),
        ).rejects.toThrow();
        expect(await t.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: delivery.id } })).toMatchObject({
          status: 'failed',
          attempts: 2,
        });
      }
      const endpoint = await t.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: hook.endpoint.id } });
      expect(endpoint.disabledAt).not.toBeNull();
      expect(endpoint.consecutiveFailures).toBe(DISABLE_AFTER_FAILED_DELIVERIES);
      const skipped = await t.prisma.webhookDelivery.create({
        data: { endpointId: hook.endpoint.id, tenantId: a.tenantId, event: 'alert.opened', payload: {} },
      });
      const received = receiver.received.length;
      expect(await deliverWebhook(deps, { deliveryId: skipped.id }, { attempt: 1, finalAttempt: false })).toMatchObject(
        {
          status: 'skipped',
        },
      );
      expect(receiver.received.length).toBe(received);
      // Its owner re-enables it: the count starts over.
      const enabled = await t.app.inject({
        method: 'PATCH',
        url: `/v1/webhooks/${hook.endpoint.id}`,
        headers: a.headers,
        payload: { enabled: true },
      });
      expect(enabled.json()).toMatchObject({ enabled: true, consecutiveFailures: 0, disabledReason: null });
    } finally {
      receiver.answer(200);
    }
  });

  it('sends one signed daily digest per digest endpoint', async () => {
    const hook = (await create('/v1/webhooks', a.headers, { url: receiver.url('/digest'), digest: true })).json();
    receiver.trust('/digest', hook.secret);
    expect(await sendDigests({ prisma: t.prisma, queues: t.queues })).toBe(1);
    expect(await sendDigests({ prisma: t.prisma, queues: t.queues })).toBe(0);
    const digest = await waitFor('the digest', async () => receiver.received.find((r) => r.path === '/digest'));
    expect(digest.verdict).toBe('valid');
    expect(digest.body.type).toBe('digest');
    const codes = (digest.body.alerts as Array<{ code: string; tenantId?: string }>).map((x) => x.code);
    expect(codes).toContain('cost_drift_run');
    expect(digest.body.alerts).not.toContainEqual(expect.objectContaining({ tenantId: expect.anything() }));
  });
});
