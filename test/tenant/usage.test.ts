import type { PrismaClient } from '@paddock/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { type SignedUp, signUp, startTenantTestApp } from './support';

interface Usage {
  at: string;
  chain: string | null;
  step: string | null;
  model: string | null;
  tokensIn: number;
  tokensOut: number;
  costMicros: bigint;
}

async function recordUsage(prisma: PrismaClient, tenantId: string, rows: Usage[]) {
  const box = await prisma.box.create({ data: { tenantId, provider: 'local', status: 'ready' } });
  await prisma.usageEvent.createMany({
    data: rows.map((row, i) => ({
      tenantId,
      boxId: box.id,
      idempotencyKey: `${box.id}:run-1:${i + 1}`,
      runtimeRunId: 'run-1',
      seq: i + 1,
      type: 'complete',
      chainName: row.chain,
      stepName: row.step,
      model: row.model,
      tokensIn: row.tokensIn,
      tokensOut: row.tokensOut,
      costMicros: row.costMicros,
      occurredAt: new Date(row.at),
    })),
  });
  return box.id;
}

describe('GET /v1/usage', () => {
  let t: TestApp;
  let ws: SignedUp;
  let other: SignedUp;

  beforeAll(async () => {
    t = await startTenantTestApp();
    ws = await signUp(t.app, 'usage');
    other = await signUp(t.app, 'usage-other');
    const boxId = await recordUsage(t.prisma, ws.tenantId, [
      {
        at: '2025-03-01T10:00:00Z',
        chain: 'c1',
        step: 'draft',
        model: 'm-a',
        tokensIn: 100,
        tokensOut: 10,
        costMicros: 12_345n,
      },
      {
        at: '2025-03-01T23:59:59Z',
        chain: 'c1',
        step: 'review',
        model: 'm-b',
        tokensIn: 50,
        tokensOut: 5,
        costMicros: 5_000n,
      },
      {
        at: '2025-03-02T00:00:00Z',
        chain: 'c2',
        step: 'draft',
        model: 'm-a',
        tokensIn: 1,
        tokensOut: 2,
        costMicros: 4_999n,
      },
      // Outside the period asked for below.
      {
        at: '2025-03-04T00:00:00Z',
        chain: 'c1',
        step: 'draft',
        model: 'm-a',
        tokensIn: 999,
        tokensOut: 999,
        costMicros: 999_999n,
      },
      // An event without usage (e.g. `started`) is not a usage record.
      {
        at: '2025-03-01T11:00:00Z',
        chain: 'c1',
        step: 'draft',
        model: null,
        tokensIn: 0,
        tokensOut: 0,
        costMicros: 0n,
      },
    ]);
    await recordUsage(t.prisma, other.tenantId, [
      {
        at: '2025-03-01T12:00:00Z',
        chain: 'c1',
        step: 'draft',
        model: 'm-a',
        tokensIn: 7_000,
        tokensOut: 7_000,
        costMicros: 7_000_000n,
      },
    ]);
    await t.prisma.costEntry.createMany({
      data: [
        {
          tenantId: ws.tenantId,
          boxId,
          kind: 'box_time',
          description: 'box hours',
          quantity: 3600n,
          unit: 'second',
          amountMicros: 15_000n,
          sourceKey: 'box:1',
          occurredAt: new Date('2025-03-01T01:00:00Z'),
        },
        {
          tenantId: ws.tenantId,
          boxId,
          kind: 'box_time',
          description: 'box hours',
          quantity: 3600n,
          unit: 'second',
          amountMicros: 15_000n,
          sourceKey: 'box:2',
          occurredAt: new Date('2025-03-01T02:00:00Z'),
        },
        {
          tenantId: other.tenantId,
          kind: 'box_time',
          description: 'box hours',
          quantity: 1n,
          unit: 'second',
          amountMicros: 99_000_000n,
          sourceKey: 'box:3',
          occurredAt: new Date('2025-03-01T02:00:00Z'),
        },
      ],
    });
  });
  afterAll(() => t.close());

  const usage = (query: string, headers = ws.headers) => t.app.inject({ url: `/v1/usage?${query}`, headers });
  const period = 'from=2025-03-01&to=2025-03-03';

  it('totals by UTC day, in minor units rounded once, only for the caller and the period', async () => {
    const reply = await usage(`${period}&groupBy=day`);
    expect(reply.statusCode).toBe(200);
    const body = reply.json();
    expect(body).toMatchObject({
      from: '2025-03-01T00:00:00.000Z',
      to: '2025-03-03T00:00:00.000Z',
      groupBy: 'day',
      currency: 'USD',
    });
    expect(body.groups).toEqual([
      { key: '2025-03-01', tokensIn: 150, tokensOut: 15, costMinor: 2, costMicros: '17345', records: 2 },
      { key: '2025-03-02', tokensIn: 1, tokensOut: 2, costMinor: 0, costMicros: '4999', records: 1 },
    ]);
    // 22,344 micro-dollars is 2.2344 cents: the total is rounded from the exact sum, not summed from rounded days.
    expect(body.totals).toEqual({ tokensIn: 151, tokensOut: 17, costMinor: 2, costMicros: '22344', records: 3 });
    expect(body.charges).toEqual([
      { kind: 'box_time', currency: 'USD', amountMinor: 3, amountMicros: '30000', entries: 2 },
    ]);
  });

  it('groups by chain, by chain step and by model', async () => {
    const byChain = (await usage(`${period}&groupBy=chain`)).json().groups;
    expect(byChain.map((g: { key: string; tokensIn: number }) => [g.key, g.tokensIn])).toEqual([
      ['c1', 150],
      ['c2', 1],
    ]);
    const byStep = (await usage(`${period}&groupBy=step`)).json().groups;
    expect(byStep.map((g: { key: string; chain: string; step: string }) => [g.key, g.chain, g.step])).toEqual([
      ['c1/draft', 'c1', 'draft'],
      ['c1/review', 'c1', 'review'],
      ['c2/draft', 'c2', 'draft'],
    ]);
    const byModel = (await usage(`${period}&groupBy=model`)).json().groups;
    expect(byModel.map((g: { key: string; costMicros: string }) => [g.key, g.costMicros])).toEqual([
      ['m-a', '17344'],
      ['m-b', '5000'],
    ]);
  });

  it('answers an empty period with zero totals', async () => {
    const reply = await usage('from=2020-01-01&to=2020-01-02');
    expect(reply.json()).toMatchObject({
      groups: [],
      totals: { tokensIn: 0, tokensOut: 0, costMinor: 0, costMicros: '0', records: 0 },
      charges: [],
    });
  });

  it('refuses bad periods and groupings', async () => {
    for (const query of [
      'from=2025-03-03&to=2025-03-01',
      'from=2020-01-01&to=2025-01-01',
      'from=yesterday',
      'groupBy=week',
      'tenantId=x',
    ]) {
      const reply = await usage(query);
      expect({ query, status: reply.statusCode }).toEqual({ query, status: 400 });
      expect(reply.json().error.details[0].path).toMatch(/^querystring/);
    }
  });
});
