import { AppError } from '@paddock/contracts';
import { createPrismaClient, type PrismaClient } from '@paddock/db';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRun, listRuns } from './read-runs';

let db: TestDatabase;
let prisma: PrismaClient;
let sql: pg.Client;
const tenant = { a: '', b: '' };
// Every run of tenant a, as the database orders a newest-first page: (created_at, id) descending.
let expectedOrder: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  // A session time zone far from UTC (+13:45): instants must still come out as Date#toISOString writes them, and
  // cursors must still land on the right row.
  const admin = new pg.Client({ connectionString: db.ownerUrl });
  await admin.connect();
  await admin.query(`ALTER DATABASE ${db.name} SET timezone = 'Pacific/Chatham'`);
  await admin.end();
  prisma = createPrismaClient(db.url, { poolMax: 2 });
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
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
  await sql.query(`INSERT INTO chains (tenant_id, name) VALUES ($1, 'review'), ($1, 'publish'), ($2, 'review')`, [
    tenant.a,
    tenant.b,
  ]);
  // 30 runs of a, three to each created_at (ties are broken by id), statuses and chains alternating; 10 of b.
  await sql.query(
    `INSERT INTO runs (tenant_id, chain_id, status, created_at, started_at, cost_micros, tokens_in)
     SELECT $1, c.id, (ARRAY['succeeded','failed','running'])[1 + g % 3]::run_status,
            timestamptz '2026-03-01T10:00:00.123Z' + (g / 3) * interval '1 minute',
            CASE WHEN g % 2 = 0 THEN timestamptz '2026-03-01T10:00:00.007Z' END,
            CASE WHEN g = 7 THEN 9007199254740993 ELSE g * 1000 END, g
       FROM generate_series(0, 29) g
       JOIN chains c ON c.tenant_id = $1 AND c.name = CASE WHEN g % 2 = 0 THEN 'review' ELSE 'publish' END`,
    [tenant.a],
  );
  await sql.query(
    `INSERT INTO runs (tenant_id, chain_id, status, created_at)
     SELECT $1, c.id, 'failed', timestamptz '2026-03-01T10:00:00Z' + g * interval '1 second'
       FROM generate_series(0, 9) g JOIN chains c ON c.tenant_id = $1`,
    [tenant.b],
  );
  const order = await sql.query<{ id: string }>(
    `SELECT id FROM runs WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`,
    [tenant.a],
  );
  expectedOrder = order.rows.map((r) => r.id);
});

afterAll(async () => {
  await sql?.end();
  await prisma?.$disconnect();
  await db?.drop();
});

async function allPages(input: Parameters<typeof listRuns>[2], tenantId = tenant.a) {
  const seen: Awaited<ReturnType<typeof listRuns>>['runs'] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await listRuns({ prisma }, tenantId, { ...input, cursor });
    seen.push(...result.runs);
    if (!result.nextCursor) return seen;
    cursor = result.nextCursor;
  }
  throw new Error('no last page');
}

describe('listRuns', () => {
  it('pages through every run of the tenant once, newest first, across created_at ties', async () => {
    const runs = await allPages({ limit: 4 });
    expect(runs.map((r) => r.id)).toEqual(expectedOrder);
    const byId = await sql.query<{ id: string; created_at: Date; cost_micros: string }>(
      `SELECT id, created_at, cost_micros::text FROM runs WHERE tenant_id = $1`,
      [tenant.a],
    );
    for (const row of byId.rows) {
      const run = runs.find((r) => r.id === row.id);
      expect(run?.createdAt).toBe(row.created_at.toISOString());
      expect(run?.costMicros).toBe(row.cost_micros);
    }
    expect(runs.find((r) => r.costMicros === '9007199254740993')?.costMinor).toBe(900719925474);
    expect(runs.find((r) => r.startedAt !== null)?.startedAt).toBe('2026-03-01T10:00:00.007Z');
  });

  it('filters by status and chain, still in order and a page at a time', async () => {
    const failed = await allPages({ limit: 3, status: 'failed' });
    expect(failed.length).toBe(10);
    expect(failed.every((r) => r.status === 'failed')).toBe(true);
    expect(failed.map((r) => r.id)).toEqual(expectedOrder.filter((id) => failed.some((r) => r.id === id)));
    const publish = await allPages({ limit: 7, chain: 'publish' });
    expect(publish.length).toBe(15);
    expect(publish.every((r) => r.chain.name === 'publish')).toBe(true);
    const since = await allPages({ limit: 50, since: '2026-03-01T10:09:00.123Z' });
    expect(since.map((r) => r.id)).toEqual(expectedOrder.slice(0, 3));
  });

  it("never shows another tenant's runs, and a cursor that is not a UUID is a 400", async () => {
    const other = await allPages({ limit: 50 }, tenant.b);
    expect(other.length).toBe(10);
    expect(other.some((r) => expectedOrder.includes(r.id))).toBe(false);
    const forged = Buffer.from(`2026-03-01T10:00:00.123Z|${'a'.repeat(36)}`).toString('base64url');
    const error = await listRuns({ prisma }, tenant.a, { limit: 5, cursor: forged }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('validation_failed');
  });
});

describe('getRun', () => {
  it('answers the run with its steps, each with its attempts in order, and its pending decisions', async () => {
    const runId = expectedOrder[5] as string;
    await sql.query(
      `INSERT INTO run_steps (tenant_id, run_id, name, position, attempt, status, cost_micros, started_at, finished_at,
                              error, exit_code)
       VALUES ($1, $2, 'write', 1, 2, 'running', 9007199254740993, '2026-03-01T10:00:01.5Z', NULL, NULL, NULL),
              ($1, $2, 'write', 1, 1, 'failed', 5, '2026-03-01T10:00:01Z', '2026-03-01T10:00:01.25Z', 'exit 2', 2),
              ($1, $2, 'draft', 0, 1, 'succeeded', 0, '2026-03-01T10:00:00Z', '2026-03-01T10:00:00.999Z', NULL, 0)`,
      [tenant.a, runId],
    );
    const decisions = await sql.query<{ id: string }>(
      `INSERT INTO decisions (tenant_id, run_id, runtime_decision_id, step_name, status, created_at)
       VALUES ($1, $2, 'd2', 'approve', 'pending', '2026-03-01T10:00:03Z'),
              ($1, $2, 'd1', 'approve', 'pending', '2026-03-01T10:00:02Z'),
              ($1, $2, 'd0', 'approve', 'approved', '2026-03-01T10:00:01Z')
       RETURNING id`,
      [tenant.a, runId],
    );
    await sql.query(`UPDATE runs SET inputs = '{"topic":"ü","n":[1,null]}' WHERE id = $1`, [runId]);
    const run = await getRun({ prisma }, tenant.a, runId);
    expect(run.id).toBe(runId);
    expect(run.inputs).toEqual({ topic: 'ü', n: [1, null] });
    const draftAttempt = {
      attempt: 1,
      status: 'succeeded',
      model: null,
      tokensIn: 0,
      tokensOut: 0,
      costMicros: '0',
      costMinor: 0,
      durationMs: null,
      exitCode: 0,
      error: null,
      startedAt: '2026-03-01T10:00:00.000Z',
      finishedAt: '2026-03-01T10:00:00.999Z',
    };
    // One entry per step: the current (highest) attempt's status and timing, the usage of all its attempts.
    expect(run.steps).toEqual([
      { name: 'draft', position: 0, ...draftAttempt, attempts: [{ ...draftAttempt, current: true }] },
      expect.objectContaining({
        name: 'write',
        attempt: 2,
        status: 'running',
        costMicros: '9007199254740998',
        costMinor: 900719925474,
        startedAt: '2026-03-01T10:00:01.500Z',
        finishedAt: null,
        attempts: [
          expect.objectContaining({ attempt: 1, current: false, status: 'failed', exitCode: 2, error: 'exit 2' }),
          expect.objectContaining({
            attempt: 2,
            current: true,
            costMicros: '9007199254740993',
            costMinor: 900719925474,
            startedAt: '2026-03-01T10:00:01.500Z',
            finishedAt: null,
          }),
        ],
      }),
    ]);
    expect(run.pendingDecisionIds).toEqual([decisions.rows[1]?.id, decisions.rows[0]?.id]);
    const page = await listRuns({ prisma }, tenant.a, { limit: 50 });
    const { inputs: _inputs, steps: _steps, pendingDecisionIds: _ids, ...summary } = run;
    expect(page.runs.find((r) => r.id === runId)).toEqual(summary);
  });

  it("is not found for another tenant's run, exactly like a missing one", async () => {
    const runId = expectedOrder[0] as string;
    for (const [tenantId, id] of [
      [tenant.b, runId],
      [tenant.a, '00000000-0000-4000-8000-000000000000'],
    ] as const) {
      const error = await getRun({ prisma }, tenantId, id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('not_found');
    }
  });
});
