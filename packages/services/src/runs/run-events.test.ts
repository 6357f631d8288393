import { AppError, MAX_EVENT_PAGE_BYTES } from '@paddock/contracts';
import { createPrismaClient, type PrismaClient } from '@paddock/db';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRunEvents, readRunEvents } from './run-events';

let db: TestDatabase;
let prisma: PrismaClient;
const ids = { tenant: '', other: '', run: '', quietRun: '' };

beforeAll(async () => {
  db = await createTestDatabase();
  // The owner role: seeding starts with ALTER DATABASE, which is the database owner's.
  const sql = new pg.Client({ connectionString: db.ownerUrl });
  await sql.connect();
  try {
    await seed(sql);
  } finally {
    await sql.end();
  }
  prisma = createPrismaClient(db.url, { poolMax: 2 });
});

async function seed(sql: pg.Client): Promise<void> {
  // Sessions 13:45 ahead of UTC: event instants must still read as Date#toISOString writes them.
  await sql.query(`ALTER DATABASE ${db.name} SET timezone = 'Pacific/Chatham'`);
  const plan = await sql.query<{ id: string }>(
    `INSERT INTO plans (code, name, price_minor, provider) VALUES ('p', 'P', 0, 'local') RETURNING id`,
  );
  const tenants = await sql.query<{ id: string }>(
    `INSERT INTO tenants (slug, name, status, plan_id) VALUES ('a', 'A', 'active', $1), ('b', 'B', 'active', $1)
     RETURNING id`,
    [plan.rows[0]?.id],
  );
  ids.tenant = tenants.rows[0]?.id ?? '';
  ids.other = tenants.rows[1]?.id ?? '';
  const box = await sql.query<{ id: string }>(
    `INSERT INTO boxes (tenant_id, provider, status) VALUES ($1, 'local', 'ready') RETURNING id`,
    [ids.tenant],
  );
  const chain = await sql.query<{ id: string }>(
    `INSERT INTO chains (tenant_id, name) VALUES ($1, 'review') RETURNING id`,
    [ids.tenant],
  );
  const runs = await sql.query<{ id: string }>(
    `INSERT INTO runs (tenant_id, box_id, chain_id, runtime_run_id) VALUES ($1, $2, $3, 'r1'), ($1, $2, $3, 'r2')
     RETURNING id`,
    [ids.tenant, box.rows[0]?.id, chain.rows[0]?.id],
  );
  ids.run = runs.rows[0]?.id ?? '';
  ids.quietRun = runs.rows[1]?.id ?? '';
  await sql.query(
    `INSERT INTO usage_events (tenant_id, box_id, idempotency_key, runtime_run_id, seq, run_id, type, step_name,
                               payload, occurred_at)
     SELECT $1, $2::uuid, $2::text || ':r1:' || g, 'r1', g, $3, 'step_finished', CASE WHEN g % 2 = 0 THEN 'draft' END,
            jsonb_build_object('seq', g, 'text', 'quote " and ü'), timestamptz '2026-03-01T10:00:00.5Z' + g * interval '1 ms'
       FROM generate_series(1, 9) g`,
    [ids.tenant, box.rows[0]?.id, ids.run],
  );
}

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

describe('listRunEvents', () => {
  it("pages a run's events in seq order with the instant, step and payload as stored", async () => {
    const first = await listRunEvents({ prisma }, ids.tenant, ids.run, { after: 0, limit: 4 });
    expect(first.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(first.nextAfter).toBe(4);
    expect(first.events[1]).toEqual({
      seq: 2,
      step: 'draft',
      kind: 'step_finished',
      event: { seq: 2, text: 'quote " and ü' },
      occurredAt: '2026-03-01T10:00:00.502Z',
    });
    expect(first.events[0]?.step).toBe('');
    const last = await listRunEvents({ prisma }, ids.tenant, ids.run, { after: 4, limit: 5 });
    expect(last.events.map((e) => e.seq)).toEqual([5, 6, 7, 8, 9]);
    expect(last.nextAfter).toBeNull();
    expect(await readRunEvents({ prisma }, ids.tenant, ids.run, { after: 4, limit: 5 })).toEqual(last);
  });

  it('answers an empty page for a run without events, and not found for a run of another tenant', async () => {
    expect(await listRunEvents({ prisma }, ids.tenant, ids.quietRun, { after: 0, limit: 10 })).toEqual({
      events: [],
      nextAfter: null,
    });
    const error = await listRunEvents({ prisma }, ids.other, ids.run, { after: 0, limit: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('not_found');
    expect(await readRunEvents({ prisma }, ids.other, ids.run, { after: 0, limit: 10 })).toEqual({
      events: [],
      nextAfter: null,
    });
  });

  it('bounds a page in bytes: it stops before the event that would pass the budget, and `after` goes on', async () => {
    // Six events of about 1 MB: one page of them all was 6 MB (a box storing 20 MB events made a 5-event page 63 MB).
    const [big] = await prisma.$queryRaw<{ id: string }[]>`
      INSERT INTO runs (tenant_id, box_id, chain_id, runtime_run_id)
      SELECT tenant_id, box_id, chain_id, 'big' FROM runs WHERE id = ${ids.run}::uuid RETURNING id::text AS id`;
    await prisma.$executeRaw`
      INSERT INTO usage_events (tenant_id, box_id, idempotency_key, runtime_run_id, seq, run_id, type, payload, occurred_at)
      SELECT r.tenant_id, r.box_id, r.box_id::text || ':big:' || g, 'big', g, r.id, 'complete',
             jsonb_build_object('seq', g, 'blob', repeat('x', 1000000)), now()
        FROM runs r, generate_series(1, 6) g WHERE r.id = ${big?.id}::uuid`;
    const seen: number[] = [];
    let after = 0;
    for (let pages = 0; pages < 10; pages++) {
      const page = await listRunEvents({ prisma }, ids.tenant, big?.id as string, { after, limit: 1000 });
      const bytes = page.events.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e.event)), 0);
      expect(bytes).toBeLessThanOrEqual(MAX_EVENT_PAGE_BYTES);
      expect(page.events.length).toBeGreaterThan(0);
      seen.push(...page.events.map((e) => e.seq));
      if (page.nextAfter === null) break;
      after = page.nextAfter;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    // The stream's read is bounded alike; a tiny budget still moves one event at a time.
    const one = await readRunEvents({ prisma }, ids.tenant, big?.id as string, { after: 0, limit: 1000 }, 10);
    expect(one.events.map((e) => e.seq)).toEqual([1]);
    expect(one.nextAfter).toBe(1);
  });
});
