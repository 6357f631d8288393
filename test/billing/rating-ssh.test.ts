import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs } from '../../apps/api/src/test-app';
import { type SshRunsWorld, startSshRunsWorld } from '../tenant/runs-support';

// A chain's real usage on a real test box (runtime deployed, reached over SSH, events collected by the collector's
// batch transaction) becomes rated usage events at the operator's prices, and the tenant's cost read shows it. The
// box's own cost figure is kept beside the charge, never billed; events collected again are never charged twice.
let world: SshRunsWorld;
let ops: { authorization: string };
let runId: string;

const usage = (model: string, tokensIn: number, tokensOut: number, usd: number) =>
  `echo '::usage {"model":"${model}","input_tokens":${tokensIn},"output_tokens":${tokensOut},"cost_usd":${usd}}'`;
const CHAIN = `name: priced
agents:
  write:
    run: ${usage('m-ssh', 1000, 100, 0.5)}; echo written
  check:
    needs: [write]
    run: ${usage('m-unpriced-ssh', 500, 50, 0.25)}; echo checked
`;

beforeAll(async () => {
  world = await startSshRunsWorld('rating-ssh');
  const { t } = world;
  await createOperator(t.prisma, 'book@example.com', 'a long enough password');
  ops = { authorization: `Bearer ${await loginAs(t.app, 'book@example.com', 'a long enough password')}` };
}, 240_000);

afterAll(async () => {
  await world?.close();
});

const tenantGet = (url: string) => world.t.app.inject({ url, headers: world.tenant.headers });
const addPrice = (model: string, input: number, output: number) =>
  world.t.app.inject({
    method: 'POST',
    url: '/v1/operator/billing/model-prices',
    headers: ops,
    payload: {
      model,
      currency: 'USD',
      inputMicrosPerMillion: input,
      outputMicrosPerMillion: output,
      effectiveFrom: '2020-01-01T00:00:00Z',
    },
  });

describe('rating real usage from a test box', () => {
  it('charges the run at the price book, shows it in /v1/costs, and never charges re-collected events twice', async () => {
    const { t, tenant, boxId, sync } = world;
    // 2 micros per input token, 10 per output token: the write step costs 2,000 + 1,000 micros (the box says $0.50).
    expect((await addPrice('m-ssh', 2_000_000, 10_000_000)).statusCode).toBe(201);
    const chain = await t.app.inject({
      method: 'POST',
      url: '/v1/chains',
      headers: tenant.headers,
      payload: { definition: CHAIN },
    });
    expect(chain.statusCode).toBe(201);
    const started = await t.app.inject({
      method: 'POST',
      url: '/v1/runs',
      headers: tenant.headers,
      payload: { chain: 'priced' },
    });
    expect(started.statusCode).toBe(201);
    runId = started.json().id;
    const run = await sync.until('the run to succeed', boxId, tenant.tenantId, async () => {
      const detail = (await tenantGet(`/v1/runs/${runId}`)).json();
      return detail.status === 'succeeded' ? detail : undefined;
    });
    expect(run).toMatchObject({ tokensIn: 1500, tokensOut: 150, costMicros: '3000' });
    expect(run.steps.map((s: { name: string; costMicros: string }) => [s.name, s.costMicros])).toEqual([
      ['write', '3000'],
      ['check', '0'],
    ]);

    const rated = await t.prisma.usageEvent.findMany({
      where: { runId, rating: { not: 'none' } },
      orderBy: { seq: 'asc' },
    });
    expect(
      rated.map((e) => [e.model, e.rating, e.costMicros, e.reportedCostMicros, e.chargedPicos, e.costFlagged]),
    ).toEqual([
      ['m-ssh', 'priced', 3_000n, 500_000n, 3_000_000_000n, true],
      ['m-unpriced-ssh', 'unpriced', 0n, 250_000n, null, false],
    ]);
    const period = `from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;
    const costsByModel = async () => (await tenantGet(`/v1/costs?${period}&groupBy=model`)).json().usage;
    const before = await costsByModel();
    expect(before).toEqual([
      expect.objectContaining({
        key: 'm-ssh',
        chargedMicros: '3000',
        reportedMicros: '500000',
        events: 1,
        unpricedEvents: 0,
      }),
      expect.objectContaining({
        key: 'm-unpriced-ssh',
        chargedMicros: '0',
        reportedMicros: '250000',
        unpricedEvents: 1,
      }),
    ]);
    const byChain = (await tenantGet(`/v1/costs?${period}&groupBy=chainVersion`)).json().usage;
    expect(byChain.map((g: { key: string; chargedMicros: string }) => [g.key, g.chargedMicros])).toEqual([
      ['priced@1', '3000'],
    ]);

    // The collector reads the box's whole journal again (a reset cursor): nothing new, nothing charged again.
    const events = await t.prisma.usageEvent.count({ where: { boxId } });
    await sync.pool.query(`UPDATE collector_cursors SET cursor = '' WHERE box_id = $1`, [boxId]);
    expect(await sync.sync(boxId, tenant.tenantId)).toBe(0);
    expect(await t.prisma.usageEvent.count({ where: { boxId } })).toBe(events);
    expect((await tenantGet(`/v1/runs/${runId}`)).json().costMicros).toBe('3000');
    expect(await costsByModel()).toEqual(before);

    // The missing price arrives: the unpriced step is charged (500 x 4 + 50 x 20 = 3,000 micros), the run with it.
    const late = await addPrice('m-unpriced-ssh', 4_000_000, 20_000_000);
    expect(late.json().reRated).toBe(1);
    expect((await tenantGet(`/v1/runs/${runId}`)).json().costMicros).toBe('6000');
    expect((await costsByModel()).map((g: { key: string; chargedMicros: string }) => [g.key, g.chargedMicros])).toEqual(
      [
        ['m-ssh', '3000'],
        ['m-unpriced-ssh', '3000'],
      ],
    );
  });
});
