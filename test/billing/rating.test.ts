import { createHash } from 'node:crypto';
import { BatchRater, ingestEvents, meterBoxTime, rateEventRows } from '@paddock/services';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, type TestApp } from '../../apps/api/src/test-app';
import { runEvents, seedBox, seedChain, seedCursor } from '../collect/support/seed';
import { type SignedUp, signUp, startTenantTestApp } from '../tenant/support';
import { waitFor } from '../support/wait-for';

// The price book through the operator API, usage rated by the real ingestion pipeline on real Postgres, and the
// tenant's and operators' cost reads. (rating-ssh.test.ts does the same with a chain on a real test box.)
let t: TestApp;
let pool: pg.Pool;
let ops: { authorization: string };
let ws: SignedUp;
let other: SignedUp;
const OWNER = 'collector-test';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

beforeAll(async () => {
  t = await startTenantTestApp();
  pool = new pg.Pool({ connectionString: t.databaseUrl, max: 3 });
  await createOperator(t.prisma, 'prices@example.com', 'a long enough password');
  ops = { authorization: `Bearer ${await loginAs(t.app, 'prices@example.com', 'a long enough password')}` };
  ws = await signUp(t.app, 'rating');
  other = await signUp(t.app, 'rating-other');
});
afterAll(async () => {
  await pool?.end();
  await t?.close();
});

const addPrice = (payload: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url: '/v1/operator/billing/model-prices', headers: ops, payload });
const opsGet = (url: string) => t.app.inject({ url, headers: ops });

/** Ingests `events` for a fresh box of `tenantId` through the collector's batch transaction. */
async function collect(
  tenantId: string,
  runtimeRunId: string,
  chain: string,
  steps: Parameters<typeof runEvents>[1],
  at?: string[],
) {
  const boxId = await seedBox(pool, tenantId);
  await seedCursor(pool, boxId, tenantId, OWNER);
  await seedChain(pool, tenantId, chain).catch(() => undefined);
  const events = runEvents(runtimeRunId, steps).map((e, i) => (at?.[i] ? { ...e, timestamp: at[i] as string } : e));
  const batch = { boxId, tenantId, ownerId: OWNER, fromCursor: '', toCursor: 'j1:1', events };
  const result = await ingestEvents({ pg: pool }, batch);
  return { boxId, events, batch, result };
}

const complete = (step: string, model: string, tokensIn: number, tokensOut: number, cost: number, extra = {}) => ({
  step,
  kind: 'complete' as const,
  status: 'complete',
  attempt: 1,
  model,
  input_tokens: tokensIn,
  output_tokens: tokensOut,
  cost_usd: cost,
  ...extra,
});

describe('the price book', () => {
  it('refuses a negative price, an unknown currency and a malformed body with field paths, and writes nothing', async () => {
    const base = {
      model: 'm-x',
      currency: 'USD',
      inputMicrosPerMillion: 1,
      outputMicrosPerMillion: 1,
      effectiveFrom: '2026-01-01T00:00:00Z',
    };
    const negative = await addPrice({ ...base, outputMicrosPerMillion: -5 });
    expect(negative.statusCode).toBe(400);
    expect(negative.json().error.details).toEqual([
      expect.objectContaining({ path: 'body.outputMicrosPerMillion', message: 'a price cannot be negative' }),
    ]);
    const unknown = await addPrice({ ...base, currency: 'XYZ' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({
      code: 'validation_failed',
      details: [expect.objectContaining({ path: 'body.currency' })],
    });
    const absurd = await addPrice({ ...base, inputMicrosPerMillion: '99999999999' });
    expect(absurd.statusCode).toBe(400);
    expect(absurd.json().error.details[0].path).toBe('body.inputMicrosPerMillion');
    const missing = await addPrice({ model: 'm-x' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(['body.currency', 'body.inputMicrosPerMillion', 'body.effectiveFrom']),
    );
    expect(await t.prisma.modelPrice.count({ where: { model: 'm-x' } })).toBe(0);
    expect((await t.app.inject({ url: '/v1/operator/billing/model-prices' })).statusCode).toBe(401);
  });

  it('keeps versions: history and current listed, the same instant twice is a 409, each creation audited', async () => {
    const v1 = await addPrice({
      model: 'm-hist',
      currency: 'USD',
      inputMicrosPerMillion: 100,
      outputMicrosPerMillion: 200,
      effectiveFrom: '2026-01-01T00:00:00Z',
    });
    expect(v1.statusCode).toBe(201);
    expect(v1.json().price).toMatchObject({
      cachedInputMicrosPerMillion: '100',
      current: true,
      used: false,
      supersededAt: null,
    });
    const v2 = await addPrice({
      model: 'm-hist',
      currency: 'USD',
      inputMicrosPerMillion: '150',
      outputMicrosPerMillion: 300,
      effectiveFrom: '2026-02-01T00:00:00Z',
    });
    expect(v2.statusCode).toBe(201);
    const again = await addPrice({
      model: 'm-hist',
      currency: 'USD',
      inputMicrosPerMillion: 1,
      outputMicrosPerMillion: 1,
      effectiveFrom: '2026-02-01T00:00:00Z',
    });
    expect(again.statusCode).toBe(409);
    const list = (await opsGet('/v1/operator/billing/model-prices?model=m-hist')).json().prices;
    expect(
      list.map((p: { inputMicrosPerMillion: string; current: boolean; supersededAt: string | null }) => [
        p.inputMicrosPerMillion,
        p.current,
        p.supersededAt,
      ]),
    ).toEqual([
      ['100', false, '2026-02-01T00:00:00.000Z'],
      ['150', true, null],
    ]);
    const audit = await t.prisma.auditLog.findMany({
      where: { action: 'billing.model_price.create', targetId: { in: [v1.json().price.id, v2.json().price.id] } },
    });
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ actorType: 'user', actorLabel: 'prices@example.com' });
  });
});

describe('rating at ingestion', () => {
  it('prices each step at the price in force when it finished, keeps the box figure as reported, flags big gaps, never charges twice', async () => {
    // $0.15 / $0.60 per million tokens until mid-November, then double.
    await addPrice({
      model: 'm-small',
      currency: 'USD',
      inputMicrosPerMillion: 150_000,
      outputMicrosPerMillion: 600_000,
      cachedInputMicrosPerMillion: 75_000,
      effectiveFrom: '2026-11-01T00:00:00Z',
    });
    await addPrice({
      model: 'm-small',
      currency: 'USD',
      inputMicrosPerMillion: 300_000,
      outputMicrosPerMillion: 1_200_000,
      cachedInputMicrosPerMillion: 150_000,
      effectiveFrom: '2026-11-15T12:00:00Z',
    });
    const { boxId, batch } = await collect(
      ws.tenantId,
      'run-nov',
      'writer',
      [
        {
          step: '_run',
          kind: 'created',
          status: 'queued',
          data: { chain: 'writer', chain_version: `sha256:${sha256('writer')}` },
        },
        { step: 'early', kind: 'started', status: 'running', attempt: 1 },
        // 1,000,000 in (200,000 cached) and 100,000 out at the first price: 120,000 + 15,000 + 60,000 micros.
        complete('early', 'm-small', 1_000_000, 100_000, 0.195, { data: { cached_input_tokens: 200_000 } }),
        // Started before the change, finished after it: rated whole at the new price (300,000 micros), while the
        // box said $5: flagged.
        { step: 'spanning', kind: 'started', status: 'running', attempt: 1 },
        complete('spanning', 'm-small', 1_000_000, 0, 5),
        { step: '_run', kind: 'finished', status: 'succeeded' },
      ],
      [
        '2026-11-10T00:00:00.000Z',
        '2026-11-10T00:00:01.000Z',
        '2026-11-10T01:00:00.000Z',
        '2026-11-15T11:00:00.000Z',
        '2026-11-15T13:00:00.000Z',
        '2026-11-15T13:00:01.000Z',
      ],
    );
    const rows = await t.prisma.usageEvent.findMany({
      where: { boxId, rating: { not: 'none' } },
      orderBy: { seq: 'asc' },
    });
    expect(
      rows.map((r) => [
        r.stepName,
        r.rating,
        r.costMicros,
        r.reportedCostMicros,
        r.chargedPicos,
        r.tokensCachedIn,
        r.costFlagged,
      ]),
    ).toEqual([
      ['early', 'priced', 195_000n, 195_000n, 195_000_000_000n, 200_000, false],
      ['spanning', 'priced', 300_000n, 5_000_000n, 300_000_000_000n, 0, true],
    ]);
    const prices = await t.prisma.modelPrice.findMany({
      where: { model: 'm-small' },
      orderBy: { effectiveFrom: 'asc' },
    });
    expect(rows.map((r) => r.modelPriceId)).toEqual(prices.map((p) => p.id));
    const run = await t.prisma.run.findFirstOrThrow({
      where: { boxId },
      include: { steps: { orderBy: { position: 'asc' } } },
    });
    expect(run.costMicros).toBe(495_000n);
    expect(run.steps.map((s) => [s.name, s.costMicros])).toEqual([
      ['early', 195_000n],
      ['spanning', 300_000n],
    ]);

    // The same batch read again from a reset cursor: nothing stored, nothing charged twice.
    await seedCursor(pool, boxId, ws.tenantId, OWNER, '');
    expect(await ingestEvents({ pg: pool }, batch)).toMatchObject({ inserted: 0, duplicates: 6 });
    expect((await t.prisma.run.findFirstOrThrow({ where: { boxId } })).costMicros).toBe(495_000n);
    expect(await t.prisma.usageEvent.count({ where: { boxId } })).toBe(6);

    // A used price is never edited: 409 with its code, audited nothing, unchanged.
    const edit = await t.app.inject({
      method: 'PATCH',
      url: `/v1/operator/billing/model-prices/${prices[0]?.id}`,
      headers: ops,
      payload: { inputMicrosPerMillion: 1 },
    });
    expect(edit.statusCode).toBe(409);
    expect(edit.json().error.code).toBe('price_in_use');
    expect(
      (await t.prisma.modelPrice.findUniqueOrThrow({ where: { id: prices[0]?.id as string } })).inputMicrosPerMillion,
    ).toBe(150_000n);
    expect(await t.prisma.auditLog.count({ where: { action: 'billing.model_price.update' } })).toBe(0);

    // Operators see the flagged event.
    const flagged = (await opsGet('/v1/operator/billing/flagged')).json().events;
    expect(
      flagged.map((e: { stepName: string; reportedCostMicros: string; chargedMicros: string }) => [
        e.stepName,
        e.reportedCostMicros,
        e.chargedMicros,
      ]),
    ).toEqual([['spanning', '5000000', '300000']]);

    // The tenant's read: by model, by step and by chain version; the other tenant sees none of it.
    const costs = (q: string, headers = ws.headers) =>
      t.app.inject({ url: `/v1/costs?from=2026-11-01&to=2026-12-01&${q}`, headers });
    const byModel = (await costs('groupBy=model')).json();
    expect(byModel.usage).toEqual([
      {
        key: 'm-small',
        currency: 'USD',
        tokensIn: 2_000_000,
        tokensOut: 100_000,
        chargedMicros: '495000',
        chargedMinor: 50,
        reportedMicros: '5195000',
        events: 2,
        unpricedEvents: 0,
      },
    ]);
    const byStep = (await costs('groupBy=step')).json().usage;
    expect(byStep.map((g: { key: string; chargedMicros: string }) => [g.key, g.chargedMicros])).toEqual([
      ['writer/spanning', '300000'],
      ['writer/early', '195000'],
    ]);
    const byVersion = (await costs('groupBy=chainVersion')).json().usage;
    expect(byVersion.map((g: { key: string }) => g.key)).toEqual(['writer@1']);
    const byDay = (await costs('groupBy=day')).json().usage;
    expect(byDay.map((g: { key: string; chargedMicros: string }) => [g.key, g.chargedMicros])).toEqual([
      ['2026-11-15', '300000'],
      ['2026-11-10', '195000'],
    ]);
    expect((await costs('groupBy=model', other.headers)).json().usage).toEqual([]);
    const bad = await costs('groupBy=tenant');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toBe('querystring.groupBy');

    // Usage reads sum the control plane's figure too.
    const usage = (
      await t.app.inject({ url: '/v1/usage?from=2026-11-01&to=2026-12-01&groupBy=model', headers: ws.headers })
    ).json();
    expect(usage.totals.costMicros).toBe('495000');
  });

  it('many tiny costs: each event rounds to 0 micros, their sum does not', async () => {
    await addPrice({
      model: 'm-tiny',
      currency: 'USD',
      inputMicrosPerMillion: 150_000,
      outputMicrosPerMillion: 0,
      effectiveFrom: '2026-10-01T00:00:00Z',
    });
    const steps: Parameters<typeof runEvents>[1] = [
      { step: '_run', kind: 'created', status: 'queued', data: { chain: 'tiny' } },
    ];
    for (let i = 0; i < 400; i++) steps.push(complete(`s${i}`, 'm-tiny', 1, 0, 0));
    const at = steps.map(() => '2026-10-05T00:00:00.000Z');
    await collect(other.tenantId, 'run-tiny', 'tiny', steps, at);
    const stored = await t.prisma.usageEvent.aggregate({
      where: { tenantId: other.tenantId, model: 'm-tiny' },
      _sum: { costMicros: true, chargedPicos: true },
      _count: true,
    });
    expect(stored).toMatchObject({ _count: 400, _sum: { costMicros: 0n, chargedPicos: 60_000_000n } });
    const byModel = (
      await t.app.inject({ url: '/v1/costs?from=2026-10-01&to=2026-11-01&groupBy=model', headers: other.headers })
    ).json();
    expect(byModel.usage[0]).toMatchObject({ key: 'm-tiny', chargedMicros: '60', events: 400 });
  });
});

describe('unpriced usage', () => {
  it('is stored and listed by model and month, priced when a price covering it arrives, except where an invoice was issued', async () => {
    const steps = (chain: string): Parameters<typeof runEvents>[1] => [
      { step: '_run', kind: 'created', status: 'queued', data: { chain } },
      complete('a', 'm-new', 2_000, 1_000, 0.01),
      { step: '_run', kind: 'finished', status: 'succeeded' },
    ];
    const at = ['2026-09-03T00:00:00.000Z', '2026-09-03T00:01:00.000Z', '2026-09-03T00:02:00.000Z'];
    const mine = await collect(ws.tenantId, 'run-new', 'newchain', steps('newchain'), at);
    const theirs = await collect(other.tenantId, 'run-new-o', 'newchain-o', steps('newchain-o'), at);
    // The other tenant's September was invoiced already: its usage stays as it is.
    await t.prisma.invoice.create({
      data: {
        tenantId: other.tenantId,
        number: `INV-${other.tenantId.slice(0, 8)}`,
        status: 'issued',
        periodStart: new Date('2026-09-01T00:00:00Z'),
        periodEnd: new Date('2026-10-01T00:00:00Z'),
      },
    });
    const event = (boxId: string) => t.prisma.usageEvent.findFirstOrThrow({ where: { boxId, model: 'm-new' } });
    expect(await event(mine.boxId)).toMatchObject({
      rating: 'unpriced',
      chargedPicos: null,
      costMicros: 0n,
      reportedCostMicros: 10_000n,
    });
    const listed = (await opsGet('/v1/operator/billing/unpriced')).json().groups;
    expect(listed).toContainEqual(
      expect.objectContaining({
        model: 'm-new',
        month: '2026-09',
        events: 2,
        tenants: 2,
        tokensIn: '4000',
        reportedCostMicros: '20000',
      }),
    );

    // A price from after September prices nothing.
    const later = await addPrice({
      model: 'm-new',
      currency: 'USD',
      inputMicrosPerMillion: 1_000_000,
      outputMicrosPerMillion: 2_000_000,
      effectiveFrom: '2026-10-01T00:00:00Z',
    });
    expect(later.json().reRated).toBe(0);
    // One covering September prices this tenant's event (4,000 micros), its run and step with it.
    const covering = await addPrice({
      model: 'm-new',
      currency: 'USD',
      inputMicrosPerMillion: 1_000_000,
      outputMicrosPerMillion: 2_000_000,
      effectiveFrom: '2026-09-01T00:00:00Z',
    });
    expect(covering.statusCode).toBe(201);
    expect(covering.json().reRated).toBe(1);
    expect(await event(mine.boxId)).toMatchObject({
      rating: 'priced',
      costMicros: 4_000n,
      chargedPicos: 4_000_000_000n,
      modelPriceId: covering.json().price.id,
    });
    const run = await t.prisma.run.findFirstOrThrow({ where: { boxId: mine.boxId }, include: { steps: true } });
    expect([run.costMicros, run.steps[0]?.costMicros]).toEqual([4_000n, 4_000n]);
    expect(await event(theirs.boxId)).toMatchObject({ rating: 'unpriced', costMicros: 0n });
    expect((await opsGet('/v1/operator/billing/unpriced')).json().groups).toContainEqual(
      expect.objectContaining({ model: 'm-new', month: '2026-09', events: 1, tenants: 1 }),
    );
    // Re-rating again changes nothing (the event is priced once).
    const { rerateUnpriced } = await import('@paddock/services');
    expect(await t.prisma.$transaction((tx) => rerateUnpriced({ prisma: tx }, ['m-new']))).toBe(0);
    expect((await t.prisma.run.findFirstOrThrow({ where: { boxId: mine.boxId } })).costMicros).toBe(4_000n);

    // An unused version may still be fixed (the October one rated nothing); audited.
    const fix = await t.app.inject({
      method: 'PATCH',
      url: `/v1/operator/billing/model-prices/${later.json().price.id}`,
      headers: ops,
      payload: { outputMicrosPerMillion: 2_500_000 },
    });
    expect(fix.statusCode).toBe(200);
    expect(fix.json().price.outputMicrosPerMillion).toBe('2500000');
    expect(
      await t.prisma.auditLog.count({
        where: { action: 'billing.model_price.update', targetId: later.json().price.id },
      }),
    ).toBe(1);
  });
});

describe('a price added during ingestion', () => {
  it('waits for a batch that read the old prices, then prices what that batch stored unpriced', async () => {
    const boxId = await seedBox(pool, ws.tenantId);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // A batch rating with the prices as they are (m-race has none): it holds the price book's lock, shared.
      const rows = [
        {
          model: 'm-race',
          tokensIn: 1_000,
          tokensOut: 0,
          costMicros: '0',
          occurredAt: '2026-07-01T00:00:00.000Z',
          event: { model: 'm-race', data: null },
        } as Parameters<typeof rateEventRows>[1][number],
      ];
      rateEventRows(await BatchRater.load(client, ['m-race']), rows);
      expect(rows[0]?.rated?.rating).toBe('unpriced');
      const adding = addPrice({
        model: 'm-race',
        currency: 'USD',
        inputMicrosPerMillion: 1_000_000,
        outputMicrosPerMillion: 0,
        effectiveFrom: '2026-01-01T00:00:00Z',
      });
      // The price waits for the batch: its lock request is there, not granted.
      await waitFor('the price to wait for the batch', async () => {
        const waiting = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks
            WHERE locktype = 'advisory' AND objsubid = 2 AND NOT granted
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        return (waiting.rows[0]?.n ?? 0) > 0;
      });
      expect(await t.prisma.modelPrice.count({ where: { model: 'm-race' } })).toBe(0);
      await client.query(
        `INSERT INTO usage_events (tenant_id, box_id, idempotency_key, runtime_run_id, seq, type, model, tokens_in,
                                   rating, occurred_at)
         VALUES ($1, $2, $3, 'race', 1, 'complete', 'm-race', 1000, 'unpriced', '2026-07-01T00:00:00Z')`,
        [ws.tenantId, boxId, `${boxId}:race:1`],
      );
      await client.query('COMMIT');
      const added = await adding;
      expect(added.statusCode).toBe(201);
      expect(added.json().reRated).toBe(1);
      expect(await t.prisma.usageEvent.findFirstOrThrow({ where: { boxId } })).toMatchObject({
        rating: 'priced',
        costMicros: 1_000n,
      });
    } finally {
      client.release();
    }
  });
});

describe('box time and operator reads', () => {
  it('meters box time from the control plane status history, per hour and price version, idempotently', async () => {
    const box = await t.prisma.box.create({
      data: { tenantId: ws.tenantId, provider: 'local', serverType: 'cx22', status: 'pending' },
    });
    // The trigger records every status the row enters.
    await t.prisma.box.update({ where: { id: box.id }, data: { status: 'creating' } });
    await t.prisma.box.update({ where: { id: box.id }, data: { status: 'ready' } });
    await t.prisma.box.update({
      where: { id: box.id },
      data: { status: 'ready', statusReason: 'same status: no row' },
    });
    const recorded = await t.prisma.boxStatusChange.findMany({ where: { boxId: box.id }, orderBy: { id: 'asc' } });
    expect(recorded.map((r) => r.status)).toEqual(['pending', 'creating', 'ready']);
    // The history as it would be for a box made at 10:30 and deleted at 13:15 on 2 August.
    await t.prisma.boxStatusChange.deleteMany({ where: { boxId: box.id } });
    await t.prisma.boxStatusChange.createMany({
      data: [
        { boxId: box.id, tenantId: ws.tenantId, status: 'creating', changedAt: new Date('2026-08-02T10:30:00Z') },
        { boxId: box.id, tenantId: ws.tenantId, status: 'ready', changedAt: new Date('2026-08-02T10:35:00Z') },
        { boxId: box.id, tenantId: ws.tenantId, status: 'destroyed', changedAt: new Date('2026-08-02T13:15:00Z') },
      ],
    });
    await t.prisma.box.update({ where: { id: box.id }, data: { createdAt: new Date('2026-08-02T10:30:00Z') } });
    const price = (microsPerHour: number, effectiveFrom: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/operator/billing/server-type-prices',
        headers: ops,
        payload: { provider: 'local', serverType: 'cx22', currency: 'USD', microsPerHour, effectiveFrom },
      });
    expect((await price(3_600, '2026-08-01T00:00:00Z')).statusCode).toBe(201);
    expect((await price(7_200, '2026-08-02T12:30:00Z')).statusCode).toBe(201);
    expect((await price(-1, '2026-08-03T00:00:00Z')).statusCode).toBe(400);

    const august = { from: new Date('2026-08-01T00:00:00Z'), to: new Date('2026-09-01T00:00:00Z') };
    const first = await meterBoxTime({ prisma: t.prisma }, august);
    expect(first.entries).toBe(5);
    const again = await Promise.all([
      meterBoxTime({ prisma: t.prisma }, august),
      meterBoxTime({ prisma: t.prisma }, august),
    ]);
    expect(again.map((r) => r.entries)).toEqual([0, 0]);
    const entries = await t.prisma.costEntry.findMany({
      where: { boxId: box.id },
      orderBy: [{ occurredAt: 'asc' }, { amountMicros: 'asc' }],
    });
    // 10:30-11:00, 11:00-12:00, 12:00-12:30 at 3,600/h; 12:30-13:00, 13:00-13:15 at 7,200/h.
    expect(entries.map((e) => [e.occurredAt.toISOString().slice(11, 16), e.quantity, e.amountMicros])).toEqual([
      ['10:00', 1_800_000n, 1_800n],
      ['11:00', 3_600_000n, 3_600n],
      ['12:00', 1_800_000n, 1_800n],
      ['12:00', 1_800_000n, 3_600n],
      ['13:00', 900_000n, 1_800n],
    ]);
    const byBox = (
      await t.app.inject({ url: '/v1/costs?from=2026-08-01&to=2026-09-01&groupBy=box', headers: ws.headers })
    ).json();
    expect(byBox.boxTime).toEqual([
      { key: box.id, currency: 'USD', hours: 2.75, chargedMicros: '12600', chargedMinor: 1 },
    ]);
  });

  it('lists every tenant for operators, top spenders first, with margin = charged - provider cost', async () => {
    const top = (await opsGet('/v1/operator/costs/top-spenders?from=2026-11-01&to=2026-12-01')).json().tenants;
    expect(top[0]).toMatchObject({
      tenantId: ws.tenantId,
      usageChargedMicros: '495000',
      providerCostMicros: '5195000',
      marginMicros: String(495_000 - 5_195_000),
    });
    const all = (await opsGet('/v1/operator/costs?from=2026-09-01&to=2026-10-01&groupBy=model')).json().usage;
    expect(all).toContainEqual(
      expect.objectContaining({ key: 'm-new', events: 2, unpricedEvents: 1, chargedMicros: '4000' }),
    );
    expect((await t.app.inject({ url: '/v1/operator/costs/top-spenders', headers: ws.headers })).statusCode).toBe(401);
    // Re-rating on request finds nothing left that a price covers (the other tenant's September is invoiced).
    const rerate = await t.app.inject({ method: 'POST', url: '/v1/operator/billing/rerate', headers: ops });
    expect(rerate.json()).toEqual({ reRated: 0 });
    expect(await t.prisma.auditLog.count({ where: { action: 'billing.usage.rerate' } })).toBe(1);
  });
});
