import { randomBytes, randomUUID } from 'node:crypto';
import { createMetricsRegistry } from '@paddock/metrics';
import { readTestEnv } from '@paddock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../apps/api/src/server';
import { createOperator, loginAs, startTestApp, type TestApp } from '../../apps/api/src/test-app';
import { find, parseSamples } from '../support/prometheus-text';
import { type AppProcess, spawnApp } from '../support/spawn-app';
import { waitFor } from '../support/wait-for';

const TOKEN = `metrics-${randomBytes(12).toString('hex')}`;

// The API (in-process, real fastify on a real database) and a worker (its own process) each serve /metrics; real
// requests and a real job go through them first, then both are scraped.
describe('/metrics on the API and the worker', { timeout: 120_000 }, () => {
  let t: TestApp;
  let worker: AppProcess;
  let workerMetrics: string;
  let operatorToken: string;
  const ids = { tenant: '', box: '', job: '' };
  const requestId = `probe-${randomUUID()}`;

  beforeAll(async () => {
    t = await startTestApp({ metricsToken: TOKEN });
    await createOperator(t.prisma, 'ops@example.com', 'correct horse battery staple');
    operatorToken = await loginAs(t.app, 'ops@example.com', 'correct horse battery staple');
    const plan = await t.prisma.plan.create({ data: { code: 'm', name: 'M', priceMinor: 0, provider: 'local' } });
    const tenant = await t.prisma.tenant.create({
      data: { slug: 'metrics-acme', name: 'Acme Secret Name', planId: plan.id, status: 'active' },
    });
    const box = await t.prisma.box.create({ data: { tenantId: tenant.id, provider: 'local', status: 'ready' } });
    await t.prisma.alert.create({
      data: { tenantId: tenant.id, boxId: box.id, severity: 'critical', code: 'host_key_changed', message: 'm' },
    });
    await t.prisma.collectorCursor.create({
      data: { boxId: box.id, tenantId: tenant.id, eventsIngested: 42n, lastEventAt: new Date(Date.now() - 5_000) },
    });
    ids.tenant = tenant.id;
    ids.box = box.id;

    worker = spawnApp('apps/worker/src/main.ts', {
      DATABASE_URL: t.databaseUrl,
      REDIS_URL: readTestEnv().REDIS_URL,
      QUEUE_PREFIX: String(t.queues.control.opts.prefix),
      WORKER_ID: 'metrics-worker',
      PADDOCK_MASTER_KEY: randomBytes(32).toString('base64'),
      RELEASE_AUTO_PUBLISH: 'false',
      COLLECTOR: 'false',
      METRICS_PORT: '0',
      METRICS_TOKEN: TOKEN,
      LOG_LEVEL: 'info',
    });
    await worker.waitForLog('worker ready', 180_000);
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/.exec(worker.output())?.[1];
    if (!url) throw new Error(`the worker did not say where its metrics are:\n${worker.output()}`);
    workerMetrics = url;
  }, 240_000);

  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await t?.close();
  });

  const auth = () => ({ authorization: `Bearer ${operatorToken}` });

  it('serves HTTP timings by route pattern, fleet gauges and job timings, and refuses scrapes without the token', async () => {
    // Real requests: a hit, a miss on a known route, a URL no route matches (with an email in it), a real job.
    expect((await t.app.inject({ url: `/v1/operator/tenants/${ids.tenant}`, headers: auth() })).statusCode).toBe(200);
    const unknown = await t.app.inject({ url: `/v1/operator/tenants/${randomUUID()}`, headers: auth() });
    expect(unknown.statusCode).toBe(404);
    expect((await t.app.inject({ url: '/v1/nothing/ops@example.com' })).statusCode).toBe(404);
    const probe = await t.app.inject({
      method: 'POST',
      url: '/v1/operator/jobs/probe',
      headers: { ...auth(), 'x-request-id': requestId },
      payload: { label: 'metrics', durationMs: 10 },
    });
    expect(probe.statusCode).toBe(202);
    ids.job = probe.json().id;
    const record = await waitFor(
      'the probe to succeed',
      async () => {
        const row = await t.prisma.jobRecord.findUniqueOrThrow({ where: { id: ids.job } });
        return row.status === 'succeeded' ? row : undefined;
      },
      90_000,
    );
    // The request id the API was given is on the job it enqueued.
    expect(record.requestId).toBe(requestId);
    expect(
      (await t.app.inject({ url: `/v1/operator/jobs?requestId=${requestId}`, headers: auth() })).json().jobs,
    ).toEqual([expect.objectContaining({ id: ids.job, requestId })]);

    // Without the token, or with another one: refused with our error model; with it, the metrics.
    const bare = await t.app.inject({ url: '/metrics' });
    expect(bare.statusCode).toBe(401);
    expect(bare.json().error.code).toBe('unauthenticated');
    expect(bare.body).not.toContain('paddock_');
    expect(
      (await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token-123456' } })).statusCode,
    ).toBe(401);
    const scraped = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(scraped.statusCode).toBe(200);
    expect(scraped.headers['content-type']).toContain('text/plain');
    const api = parseSamples(scraped.body);

    const http = (route: string, status: string) =>
      find(api, 'paddock_http_request_duration_seconds_count', {
        method: 'GET',
        route,
        status_code: status,
        component: 'api',
      });
    expect(http('/v1/operator/tenants/:id', '200')[0]?.value).toBe(1);
    expect(http('/v1/operator/tenants/:id', '404')[0]?.value).toBe(1);
    expect(http('unmatched', '404')[0]?.value).toBe(1);
    expect(
      find(api, 'paddock_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/operator/jobs/probe',
        status_code: '202',
      }),
    ).toHaveLength(1);

    expect(find(api, 'paddock_boxes', { status: 'ready' })[0]?.value).toBe(1);
    expect(find(api, 'paddock_boxes', { status: 'failed' })[0]?.value).toBe(0);
    expect(find(api, 'paddock_alerts_open', { severity: 'critical', code: 'host_key_changed' })[0]?.value).toBe(1);
    expect(find(api, 'paddock_collector_events_ingested_total', { box_id: ids.box })[0]?.value).toBe(42);
    const lag = find(api, 'paddock_collector_lag_seconds', { box_id: ids.box })[0]?.value ?? -1;
    expect(lag).toBeGreaterThanOrEqual(5);
    expect(find(api, 'paddock_metrics_source_up', { source: 'postgres' })[0]?.value).toBe(1);
    expect(find(api, 'paddock_queue_jobs', { queue: 'control', state: 'waiting' })).toHaveLength(1);
    expect(find(api, 'paddock_ssh_connections')[0]?.value).toBe(0);

    // Sane labels: patterns and codes only. No tenant id, name or slug, no email, no token, no raw URL.
    const labelValues = api.flatMap((s) => Object.values(s.labels));
    for (const leak of [
      ids.tenant,
      'Acme Secret Name',
      'metrics-acme',
      'ops@example.com',
      operatorToken,
      TOKEN,
      requestId,
    ]) {
      expect(labelValues.filter((v) => v.includes(leak))).toEqual([]);
    }
    expect(labelValues.filter((v) => v.includes('@'))).toEqual([]);

    // The worker's own listener: same rule, and the job it ran, by name and outcome.
    expect((await fetch(workerMetrics)).status).toBe(401);
    const fromWorker = await fetch(workerMetrics, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(fromWorker.status).toBe(200);
    const worked = parseSamples(await fromWorker.text());
    expect(
      find(worked, 'paddock_job_duration_seconds_count', {
        name: 'diagnostics.probe',
        queue: 'control',
        outcome: 'succeeded',
        component: 'worker',
      })[0]?.value,
    ).toBe(1);
    expect(find(worked, 'paddock_boxes', { status: 'ready', component: 'worker' })[0]?.value).toBe(1);
    expect(find(worked, 'paddock_ssh_connections', { component: 'worker' })).toHaveLength(1);
  });

  it('answers only direct loopback clients when no token is configured', async () => {
    const server = await buildServer({
      logLevel: 'silent',
      bodyLimitBytes: 16_384,
      readiness: {},
      metrics: { registry: createMetricsRegistry('api') },
    });
    try {
      expect((await server.inject({ url: '/metrics', remoteAddress: '127.0.0.1' })).statusCode).toBe(200);
      expect((await server.inject({ url: '/metrics', remoteAddress: '::1' })).statusCode).toBe(200);
      const remote = await server.inject({ url: '/metrics', remoteAddress: '203.0.113.7' });
      expect(remote.statusCode).toBe(403);
      expect(remote.json().error.code).toBe('forbidden');
      // Relayed by a proxy on this machine: the peer is loopback, the client is not.
      const proxied = await server.inject({
        url: '/metrics',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': '203.0.113.7' },
      });
      expect(proxied.statusCode).toBe(403);
    } finally {
      await server.close();
    }
  });
});
