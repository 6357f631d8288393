import { createPrismaClient, type PrismaClient } from '@paddock/db';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUsage } from './read-usage';

let db: TestDatabase;
let prisma: PrismaClient;
const tenant = { a: '', b: '' };

beforeAll(async () => {
  db = await createTestDatabase();
  // The owner role: ALTER DATABASE is the database owner's (the app role only reads and writes rows).
  const sql = new pg.Client({ connectionString: db.ownerUrl });
  await sql.connect();
  // Sessions 13:45 ahead of UTC: the period's bounds and the day keys must not move with the session's time zone.
  await sql.query(`ALTER DATABASE ${db.name} SET timezone = 'Pacific/Chatham'`);
  const plan = await sql.query<{ id: string }>(
    `INSERT INTO plans (code, name, price_minor, provider) VALUES ('p', 'P', 0, 'local') RETURNING id`,
  );
  const tenants = await sql.query<{ id: string; slug: string }>(
    `INSERT INTO tenants (slug, name, status, plan_id) VALUES ('a', 'A', 'active', $1), ('b', 'B', 'active', $1)
     RETURNING id, slug`,
    [plan.rows[0]?.id],
  );
  tenant.a = tenants.rows.find((t) => t.slug === 'a')?.id ?? '';
  tenant.b = tenants.rows.find((t) => t.slug === 'b')?.id ?? '';
  const boxes = await sql.query<{ id: string; tenant_id: string }>(
    `INSERT INTO boxes (tenant_id, provider, status) VALUES ($1, 'local', 'ready'), ($2, 'local', 'ready')
     RETURNING id, tenant_id`,
    [tenant.a, tenant.b],
  );
  const boxOf = (tenantId: string) => boxes.rows.find((b) => b.tenant_id === tenantId)?.id;
  const event = (tenantId: string, seq: number, at: string, model: string | null, cost: number) =>
    sql.query(
      `INSERT INTO usage_events (tenant_id, box_id, idempotency_key, runtime_run_id, seq, type, chain_name, step_name,
                                 model, tokens_in, tokens_out, cost_micros, occurred_at)
       VALUES ($1, $2, $3, 'r1', $4, 'step_finished', 'c', 's', $5, 10, 1, $6, $7)`,
      [tenantId, boxOf(tenantId), `${boxOf(tenantId)}:r1:${seq}`, seq, model, cost, at],
    );
  await event(tenant.a, 1, '2025-03-01T00:00:00.000Z', 'm-b', 1_000); // the period's first instant: counted
  await event(tenant.a, 2, '2025-03-01T23:59:59.999Z', null, 2_000);
  await event(tenant.a, 3, '2025-03-02T11:00:00.000Z', 'm-a', 4_000);
  await event(tenant.a, 4, '2025-03-03T00:00:00.000Z', 'm-a', 8_000); // the period's end: not counted
  await event(tenant.b, 1, '2025-03-01T12:00:00.000Z', 'm-a', 16_000);
  const charge = (tenantId: string, kind: string, currency: string, micros: number, key: string) =>
    sql.query(
      `INSERT INTO cost_entries (tenant_id, kind, description, unit, amount_micros, currency, source_key, occurred_at)
       VALUES ($1, $2::cost_kind, 'x', 'second', $3, $4, $5, '2025-03-01T05:00:00Z')`,
      [tenantId, kind, micros, currency, key],
    );
  await charge(tenant.a, 'storage', 'USD', 5_000, 'k1');
  await charge(tenant.a, 'box_time', 'USD', 15_000, 'k2');
  await charge(tenant.a, 'box_time', 'USD', 15_001, 'k3');
  await charge(tenant.a, 'box_time', 'EUR', -20_000, 'k4');
  await charge(tenant.b, 'box_time', 'USD', 99_000_000, 'k5');
  await sql.end();
  prisma = createPrismaClient(db.url, { poolMax: 2 });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const period = { from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-03-03T00:00:00Z') };

describe('readUsage', () => {
  it('groups the period by UTC day and adds the charges, in one report for the caller only', async () => {
    const report = await readUsage({ prisma }, tenant.a, { ...period, groupBy: 'day' });
    expect(report.groups).toEqual([
      { key: '2025-03-01', tokensIn: 20, tokensOut: 2, costMinor: 0, costMicros: '3000', records: 2 },
      { key: '2025-03-02', tokensIn: 10, tokensOut: 1, costMinor: 0, costMicros: '4000', records: 1 },
    ]);
    expect(report.totals).toEqual({ tokensIn: 30, tokensOut: 3, costMinor: 1, costMicros: '7000', records: 3 });
    expect(report.charges).toEqual([
      { kind: 'box_time', currency: 'EUR', amountMinor: -2, amountMicros: '-20000', entries: 1 },
      { kind: 'box_time', currency: 'USD', amountMinor: 3, amountMicros: '30001', entries: 2 },
      { kind: 'storage', currency: 'USD', amountMinor: 1, amountMicros: '5000', entries: 1 },
    ]);
  });

  it('puts records without a model last when grouping by model', async () => {
    const report = await readUsage({ prisma }, tenant.a, { ...period, groupBy: 'model' });
    expect(report.groups.map((g) => [g.key, g.costMicros])).toEqual([
      ['m-a', '4000'],
      ['m-b', '1000'],
      [null, '2000'],
    ]);
    expect(report.charges).toHaveLength(3);
  });

  it('answers a period without records or charges with empty groups and zero totals', async () => {
    const report = await readUsage({ prisma }, tenant.a, {
      from: new Date('2024-01-01T00:00:00Z'),
      to: new Date('2024-01-02T00:00:00Z'),
      groupBy: 'chain',
    });
    expect(report.groups).toEqual([]);
    expect(report.charges).toEqual([]);
    expect(report.totals).toEqual({ tokensIn: 0, tokensOut: 0, costMinor: 0, costMicros: '0', records: 0 });
  });
});
