import { randomUUID } from 'node:crypto';
import { seededRandom } from '@paddock/monitoring';
import { evaluateMonitoringRound } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, type TestApp } from '../../apps/api/src/test-app';
import { type SignedUp, signUp, startTenantTestApp } from '../tenant/support';
import { seedChain, seedRuns, seedVersion, times } from './support';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let t: TestApp;
let ops: { authorization: string };
let a: SignedUp;
let b: SignedUp;
let boxA: string;
let boxB: string;
let quietBox: string;
let costChain: { chainId: string; versionId: string };
let newestCostRun: string;

/** Seeded noise: each history is the same on every run of the suite. */
const noisy = (seed: number, spread: number) => {
  const random = seededRandom(seed);
  return () => 1 + (random() * 2 - 1) * spread;
};

beforeAll(async () => {
  t = await startTenantTestApp();
  await createOperator(t.prisma, 'monitor-ops@example.com', 'correct horse battery staple');
  ops = { authorization: `Bearer ${await loginAs(t.app, 'monitor-ops@example.com', 'correct horse battery staple')}` };
  a = await signUp(t.app, 'mon-a');
  b = await signUp(t.app, 'mon-b');
  boxA = (await t.prisma.box.create({ data: { tenantId: a.tenantId, provider: 'local', status: 'ready' } })).id;
  boxB = (await t.prisma.box.create({ data: { tenantId: b.tenantId, provider: 'local', status: 'ready' } })).id;
  const now = new Date();

  // A: a chain whose runs use 3x the tokens since a prompt change six hours ago (a new version).
  costChain = await seedChain(t.prisma, a.tenantId, 'cost');
  const jitter = noisy(1, 0.2);
  await seedRuns(
    t.prisma,
    { tenantId: a.tenantId, boxId: boxA, ...costChain },
    times(new Date(now.getTime() - 6 * HOUR), 8, 12).map((at) => ({ at, tokens: Math.round(10_000 * jitter()) })),
  );
  const v2 = await seedVersion(t.prisma, a.tenantId, costChain.chainId, 2);
  const drifted = await seedRuns(
    t.prisma,
    { tenantId: a.tenantId, boxId: boxA, chainId: costChain.chainId, versionId: v2 },
    times(now, 1, 24)
      .slice(-6)
      .map((at) => ({ at: new Date(at.getTime() - 5 * 60_000), tokens: Math.round(30_000 * jitter()) })),
  );
  newestCostRun = drifted.at(-1) ?? '';

  // A: a model that answered in ~20 s all week and takes 3x as long this hour.
  const latency = await seedChain(t.prisma, a.tenantId, 'latency');
  const lj = noisy(7, 0.2);
  const hourStart = now.getTime() - HOUR;
  await seedRuns(t.prisma, { tenantId: a.tenantId, boxId: boxA, ...latency }, [
    ...times(new Date(hourStart), 7, 24).map((at) => ({
      at,
      tokens: 1_000,
      steps: [{ name: 'call', model: 'm-health', durationMs: Math.round(20_000 * lj()) }],
    })),
    ...Array.from({ length: 15 }, (_, i) => ({
      at: new Date(hourStart + (i + 1) * 3 * 60_000),
      tokens: 1_000,
      steps: [{ name: 'call', model: 'm-health', durationMs: Math.round(60_000 * lj()) }],
    })),
  ]);

  // A: a step whose check passed 90% of the time and passes 30% today.
  const quality = await seedChain(t.prisma, a.tenantId, 'quality');
  const roll = seededRandom(2);
  const lat = noisy(3, 0.2);
  await seedRuns(
    t.prisma,
    { tenantId: a.tenantId, boxId: boxA, ...quality },
    times(new Date(now.getTime() - 5 * 60_000), 8, 48).map((at) => {
      const today = at.getTime() > now.getTime() - DAY;
      const passed = roll() < (today ? 0.3 : 0.9);
      const durationMs = Math.round(20_000 * lat());
      return {
        at,
        tokens: Math.round(5_000 * lat()),
        steps: passed
          ? [{ name: 'review', model: 'm-quality', durationMs }]
          : [
              {
                name: 'review',
                model: 'm-health',
                durationMs,
                status: 'failed' as const,
                error: 'check failed: exit 1',
              },
            ],
      };
    }),
  );

  // A: the same version of a chain whose outputs' tokens doubled today (nothing changed: the model did).
  const drifting = await seedChain(t.prisma, a.tenantId, 'drifting');
  const dj = noisy(4, 0.1);
  await seedRuns(
    t.prisma,
    { tenantId: a.tenantId, boxId: boxA, ...drifting },
    times(new Date(now.getTime() - 5 * 60_000), 8, 20).map((at) => ({
      at,
      tokens: Math.round(4_000 * dj() * (at.getTime() > now.getTime() - DAY ? 1.6 : 1)),
    })),
  );

  // A's box: a burst of watchdog kills this hour, a queued run waiting 30 minutes, a step stalled for 45.
  await t.prisma.usageEvent.createMany({
    data: Array.from({ length: 12 }, (_, i) => ({
      tenantId: a.tenantId,
      boxId: boxA,
      idempotencyKey: `${boxA}:killed-run-${i}:1`,
      runtimeRunId: `killed-run-${i}`,
      seq: 1,
      type: 'killed',
      occurredAt: new Date(now.getTime() - i * 60_000),
    })),
  });
  await t.prisma.run.create({
    data: {
      tenantId: a.tenantId,
      chainId: costChain.chainId,
      status: 'queued',
      createdAt: new Date(now.getTime() - 30 * 60_000),
    },
  });
  const running = await t.prisma.run.create({
    data: { tenantId: a.tenantId, boxId: boxA, chainId: quality.chainId, status: 'running' },
  });
  const stalled = await t.prisma.runStep.create({
    data: { tenantId: a.tenantId, runId: running.id, name: 'review', position: 0, status: 'running' },
  });
  await t.prisma
    .$executeRaw`UPDATE run_steps SET updated_at = now() - interval '45 minutes' WHERE id = ${stalled.id}::uuid`;

  // A's second box ran every 15 minutes all week and has been silent for 10 hours.
  quietBox = (await t.prisma.box.create({ data: { tenantId: a.tenantId, provider: 'local', status: 'ready' } })).id;
  const nightly = await seedChain(t.prisma, a.tenantId, 'busy');
  await seedRuns(
    t.prisma,
    { tenantId: a.tenantId, boxId: quietBox, ...nightly },
    times(new Date(now.getTime() - 10 * HOUR), 6, 96).map((at) => ({ at, tokens: 100 })),
  );
  await t.prisma.collectorCursor.create({
    data: { boxId: quietBox, tenantId: a.tenantId, lastEventAt: new Date(now.getTime() - 10 * HOUR) },
  });

  // B: everything steady but noisy, the same shapes: nothing may fire for B.
  const steady = await seedChain(t.prisma, b.tenantId, 'steady');
  const sr = seededRandom(5);
  const sj = noisy(6, 0.3);
  await seedRuns(
    t.prisma,
    { tenantId: b.tenantId, boxId: boxB, ...steady },
    times(new Date(now.getTime() - 5 * 60_000), 8, 48).map((at) => {
      const passed = sr() < 0.9;
      return {
        at,
        tokens: Math.round(8_000 * sj()),
        steps: [
          passed
            ? { name: 'draft', model: 'm-steady', durationMs: Math.round(10_000 * sj()) }
            : {
                name: 'draft',
                model: 'm-steady',
                durationMs: 9_000,
                status: 'failed' as const,
                error: 'check failed: 1',
              },
        ],
      };
    }),
  );
  // History was written when it happened: only what a test adds later is "changed since the last round".
  await t.prisma.$executeRaw`UPDATE runs SET updated_at = finished_at WHERE finished_at IS NOT NULL`;
  await t.prisma.$executeRaw`UPDATE run_steps SET updated_at = finished_at WHERE finished_at IS NOT NULL`;
}, 120_000);

afterAll(() => t?.close());

const monitorAlerts = (where: Record<string, unknown> = {}) =>
  t.prisma.alert.findMany({ where: { dedupeKey: { startsWith: 'monitor:' }, ...where }, orderBy: { code: 'asc' } });

describe('a monitoring round over seeded histories', () => {
  it('raises each detector on its drift, with evidence, and nothing for the steady tenant', async () => {
    const round = await evaluateMonitoringRound({ prisma: t.prisma });
    expect(round.opened).toBeGreaterThan(0);
    const alerts = await monitorAlerts({ status: 'open' });
    const codes = (tenantId: string | null) => alerts.filter((x) => x.tenantId === tenantId).map((x) => x.code);
    expect(codes(b.tenantId)).toEqual([]);
    expect(new Set(codes(a.tenantId))).toEqual(
      new Set([
        'box_quiet',
        'cost_drift_day',
        'cost_drift_run',
        'model_latency',
        'prompt_drift',
        'quality_check_pass_rate',
        'runs_queued',
        'steps_stalled',
        'watchdog_kills',
      ]),
    );
    // The model is judged across tenants for operators too.
    expect(codes(null)).toEqual(['model_latency']);

    const cost = alerts.find((x) => x.code === 'cost_drift_run');
    expect(cost?.scope).toEqual({ tenantId: a.tenantId, chainId: costChain.chainId });
    const evidence = cost?.evidence as Array<{
      metric: string;
      baseline: number;
      current: number;
      threshold: number;
      sampleRunIds: string[];
    }>;
    const tokens = evidence.find((e) => e.metric === 'tokens per run');
    if (!tokens) throw new Error('no token evidence');
    expect(tokens.baseline).toBeGreaterThan(8_000);
    expect(tokens.baseline).toBeLessThan(12_000);
    expect(tokens.current).toBeGreaterThan(tokens.threshold);
    expect(tokens.sampleRunIds[0]).toBe(newestCostRun);

    const quality = alerts.find((x) => x.code === 'quality_check_pass_rate');
    expect(quality?.scope).toMatchObject({ step: 'review' });
    const drift = alerts.find((x) => x.code === 'prompt_drift');
    expect(drift?.scope).toHaveProperty('chainVersionId');
    const quiet = alerts.find((x) => x.code === 'box_quiet');
    expect(quiet?.boxId).toBe(quietBox);
    expect(alerts.find((x) => x.code === 'watchdog_kills')?.boxId).toBe(boxA);
  });

  it('runs incrementally: a round with nothing new re-judges only open alerts and opens no duplicates', async () => {
    const before = await monitorAlerts();
    const round = await evaluateMonitoringRound({ prisma: t.prisma });
    expect(round.opened).toBe(0);
    // Only the chains with an open alert (cost, quality, drifting) are loaded again; the steady and busy chains and
    // the latency chain (its alert is the model's, scoped by model) are not.
    expect(round.chains).toBe(3);
    expect(round.models).toBe(1);
    const after = await monitorAlerts();
    expect(after.map((x) => x.id).sort()).toEqual(before.map((x) => x.id).sort());
    const watermark = await t.prisma.monitoringWatermark.findUniqueOrThrow({ where: { name: 'monitoring' } });
    expect(watermark.rounds).toBe(2);
    expect(watermark.evaluatedThrough.toISOString()).toBe(round.through);
  });

  it('lists alerts to their tenant only and takes acknowledgements from the tenant (own) and operators (all)', async () => {
    const cost = await t.prisma.alert.findFirstOrThrow({ where: { code: 'cost_drift_run' } });
    const listA = (await t.app.inject({ url: '/v1/alerts?status=open', headers: a.headers })).json();
    const shown = listA.alerts.find((x: { id: string }) => x.id === cost.id);
    expect(shown).toMatchObject({ code: 'cost_drift_run', scope: { chainId: costChain.chainId } });
    expect(shown.evidence[0].sampleRunIds[0]).toBe(newestCostRun);
    expect(listA.alerts.some((x: { code: string }) => x.code === 'box_quiet')).toBe(false);
    expect((await t.app.inject({ url: '/v1/alerts', headers: b.headers })).json().alerts).toEqual([]);

    const foreign = await t.app.inject({
      method: 'POST',
      url: `/v1/alerts/${cost.id}/acknowledge`,
      headers: b.headers,
    });
    expect(foreign.statusCode).toBe(404);
    expect((await t.prisma.alert.findUniqueOrThrow({ where: { id: cost.id } })).status).toBe('open');
    const own = await t.app.inject({ method: 'POST', url: `/v1/alerts/${cost.id}/acknowledge`, headers: a.headers });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ id: cost.id, status: 'acknowledged' });

    const global = await t.prisma.alert.findFirstOrThrow({ where: { code: 'model_latency', tenantId: null } });
    expect(
      (await t.app.inject({ method: 'POST', url: `/v1/alerts/${global.id}/acknowledge`, headers: a.headers }))
        .statusCode,
    ).toBe(404);
    const byOps = await t.app.inject({
      method: 'POST',
      url: `/v1/operator/alerts/${global.id}/acknowledge`,
      headers: ops,
    });
    expect(byOps.json()).toMatchObject({ status: 'acknowledged', tenantId: null, scope: { model: 'm-health' } });
    expect(
      (await t.app.inject({ method: 'POST', url: `/v1/operator/alerts/${randomUUID()}/acknowledge`, headers: ops }))
        .statusCode,
    ).toBe(404);

    // Still firing: the acknowledged alert is updated in place, not reopened as a second row.
    await evaluateMonitoringRound({ prisma: t.prisma });
    const rows = await t.prisma.alert.findMany({ where: { dedupeKey: cost.dedupeKey } });
    expect(rows.map((r) => r.status)).toEqual(['acknowledged']);
  });

  it('resolves an alert when its signal returns to normal', async () => {
    const [back] = await seedRuns(
      t.prisma,
      { tenantId: a.tenantId, boxId: boxA, chainId: costChain.chainId, versionId: costChain.versionId },
      [{ at: new Date(), tokens: 10_000 }],
    );
    expect(back).toBeDefined();
    const round = await evaluateMonitoringRound({ prisma: t.prisma });
    expect(round.resolved).toBeGreaterThanOrEqual(1);
    const cost = await t.prisma.alert.findFirstOrThrow({ where: { code: 'cost_drift_run' } });
    expect(cost.status).toBe('resolved');
    expect(cost.resolvedAt).not.toBeNull();
    // Others still firing stay open.
    expect((await t.prisma.alert.findFirstOrThrow({ where: { code: 'prompt_drift' } })).status).toBe('open');
  });
});
