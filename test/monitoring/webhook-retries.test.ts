import { enqueueJob, startWorkers } from '@paddock/jobs';
import { createPrismaJobRecords } from '@paddock/jobs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../apps/worker/src/handlers';
import type { TestApp } from '../../apps/api/src/test-app';
import { type SignedUp, signUp, startTenantTestApp } from '../tenant/support';
import { startReceiver } from './receiver';
import { waitFor } from './support';

// Real retries through BullMQ: the catalog's exponential backoff, its first delay shortened to keep the test quick.
const BACKOFF_MS = 100;

let t: TestApp;
let a: SignedUp;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let workers: ReturnType<typeof startWorkers>;

beforeAll(async () => {
  t = await startTenantTestApp();
  a = await signUp(t.app, 'hook-retries');
  receiver = await startReceiver();
  workers = startWorkers({
    connection: t.redis,
    prefix: (t.queues.control.opts.prefix as string) ?? 'bull',
    workerId: 'webhook-retry-worker',
    records: createPrismaJobRecords(t.prisma),
    handlers: createHandlers({
      prisma: t.prisma,
      queues: t.queues,
      webhooks: { vault: t.vault, policy: { allowLoopback: true } },
    }),
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

/** An endpoint at `path` (its secret trusted by the receiver) and one delivery queued for it like an alert's. */
async function queueDelivery(path: string) {
  const hook = (
    await t.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: a.headers,
      payload: { url: receiver.url(path) },
    })
  ).json() as { endpoint: { id: string }; secret: string };
  receiver.trust(path, hook.secret);
  const delivery = await t.prisma.webhookDelivery.create({
    data: {
      endpointId: hook.endpoint.id,
      tenantId: a.tenantId,
      event: 'alert.opened',
      payload: { type: 'alert.opened' },
    },
  });
  const { recordId } = await enqueueJob(
    { queues: t.queues, records: createPrismaJobRecords(t.prisma) },
    'webhooks.deliver',
    { deliveryId: delivery.id },
    { jobId: `webhook-${delivery.id}`, tenantId: a.tenantId, backoffDelayMs: BACKOFF_MS },
  );
  return { endpointId: hook.endpoint.id, deliveryId: delivery.id, recordId };
}

const attemptsOf = (deliveryId: string) =>
  t.prisma.webhookDeliveryAttempt.findMany({ where: { deliveryId }, orderBy: { attempt: 'asc' } });

describe('webhook delivery retries (BullMQ backoff, end to end)', () => {
  it('a receiver that fails twice then accepts: three attempts, one log row each, delivered once', async () => {
    receiver.script('/flaky', [503, 500]);
    const { deliveryId, recordId, endpointId } = await queueDelivery('/flaky');
    const record = await waitFor('the job to succeed', async () => {
      const row = await t.prisma.jobRecord.findUniqueOrThrow({ where: { id: recordId } });
      return row.status === 'succeeded' ? row : null;
    });
    expect(record.attempts).toBe(3);
    const attempts = await attemptsOf(deliveryId);
    expect(attempts.map((x) => [x.attempt, x.ok, x.statusCode])).toEqual([
      [1, false, 503],
      [2, false, 500],
      [3, true, 200],
    ]);
    // Backoff between attempts: each retry came at least the (exponential) delay after the one before.
    const [first, second, third] = attempts.map((x) => x.attemptedAt.getTime());
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(BACKOFF_MS);
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(2 * BACKOFF_MS);
    expect(await t.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId } })).toMatchObject({
      status: 'delivered',
      attempts: 3,
      lastStatusCode: 200,
      lastError: null,
    });
    // Every attempt reached the receiver signed; the same delivery id each time (receivers dedupe by it).
    const mine = receiver.received.filter((r) => r.path === '/flaky');
    expect(mine.map((r) => r.verdict)).toEqual(['valid', 'valid', 'valid']);
    expect(new Set(mine.map((r) => r.body.id))).toEqual(new Set([deliveryId]));
    expect(await t.prisma.alert.count({ where: { dedupeKey: `webhook_failed:${endpointId}` } })).toBe(0);
  });

  it('a receiver that always fails: every attempt logged, the delivery failed, an alert for its owner', async () => {
    receiver.script('/down', [500, 500, 500, 500, 500, 500]);
    const { deliveryId, recordId, endpointId } = await queueDelivery('/down');
    const record = await waitFor('the job to fail', async () => {
      const row = await t.prisma.jobRecord.findUniqueOrThrow({ where: { id: recordId } });
      return row.status === 'failed' ? row : null;
    });
    expect(record.attempts).toBe(6);
    expect((await attemptsOf(deliveryId)).map((x) => [x.attempt, x.ok, x.statusCode])).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => [n, false, 500]),
    );
    expect(await t.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId } })).toMatchObject({
      status: 'failed',
      attempts: 6,
      lastStatusCode: 500,
    });
    expect(await t.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId } })).toMatchObject({
      consecutiveFailures: 1,
      disabledAt: null,
    });
    const alert = await t.prisma.alert.findFirstOrThrow({ where: { dedupeKey: `webhook_failed:${endpointId}` } });
    expect(alert).toMatchObject({ tenantId: a.tenantId, code: 'webhook_delivery_failed', status: 'open' });
    // The tenant sees it in its own alerts.
    const listed = await t.app.inject({ url: '/v1/alerts', headers: a.headers });
    expect(JSON.stringify(listed.json())).toContain(alert.id);
  });
});
