import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, startTestApp, type TestApp } from '../../apps/api/src/test-app';

const EMAIL = 'sorter@example.com';
const PASSWORD = 'correct horse battery staple';
const TENANTS = 41;
const STATUSES = ['active', 'suspended', 'provisioning_failed', 'provisioning', 'deleted'];

// The tenant list sorted on the server: every sort and direction, paged by keyset cursors, gives exactly the order
// PostgreSQL gives for the same ORDER BY (collation, enum order and ties included), every tenant once.
describe('operator tenant list: server-side sorting', () => {
  let t: TestApp;
  let headers: { authorization: string };

  beforeAll(async () => {
    t = await startTestApp();
    await createOperator(t.prisma, EMAIL, PASSWORD);
    headers = { authorization: `Bearer ${await loginAs(t.app, EMAIL, PASSWORD)}` };
    // Names with ties, mixed case and accents; statuses repeated; some created in the same millisecond (ties
    // broken by id).
    await t.prisma.$executeRaw`
      INSERT INTO plans (code, name, price_minor, provider) VALUES ('sort-test', 'Sort test', 900, 'local')`;
    await t.prisma.$executeRaw`
      INSERT INTO tenants (slug, name, status, plan_id, created_at)
      SELECT 'sort-' || i, (ARRAY['Zephyr', 'alpha', 'Alpha', 'Émile', 'beta co', 'Beta Co', 'zulu'])[1 + i % 7],
             (${STATUSES}::text[])[1 + i % 5]::tenant_status,
             (SELECT id FROM plans WHERE code = 'sort-test'), '2026-01-01T00:00:00Z'::timestamptz + make_interval(secs => i / 3)
        FROM generate_series(1, ${TENANTS}::int) i`;
  });

  afterAll(async () => {
    await t?.close();
  });

  async function readAll(params: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const reply = await t.app.inject({
        url: `/v1/operator/tenants?limit=${limit}${params}${cursor ? `&cursor=${cursor}` : ''}`,
        headers,
      });
      expect(reply.statusCode, reply.body).toBe(200);
      const page = reply.json() as { tenants: { id: string }[]; nextCursor: string | null };
      ids.push(...page.tenants.map((tenant) => tenant.id));
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  }

  const orderSql: Record<string, string> = {
    created: 'created_at {d}, id {d}',
    name: 'name {d}, id {d}',
    slug: 'slug {d}, id {d}',
    status: 'status {d}, created_at {d}, id {d}',
  };

  for (const sort of Object.keys(orderSql)) {
    for (const order of ['asc', 'desc']) {
      it(`sort=${sort}&order=${order}: pages walk the database's order, each tenant once`, async () => {
        const direction = order.toUpperCase();
        const expected = await t.prisma.$queryRawUnsafe<{ id: string }[]>(
          `SELECT id::text AS id FROM tenants ORDER BY ${(orderSql[sort] as string).replaceAll('{d}', direction)}`,
        );
        expect(await readAll(`&sort=${sort}&order=${order}`, 6)).toEqual(expected.map((row) => row.id));
      });
    }
  }

  it('defaults: created newest first; other sorts ascending; a filter keeps the sort', async () => {
    const newest = await t.prisma.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM tenants ORDER BY created_at DESC, id DESC`;
    expect(await readAll('', 9)).toEqual(newest.map((row) => row.id));
    const byName = await t.prisma.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM tenants ORDER BY name, id`;
    expect(await readAll('&sort=name', 50)).toEqual(byName.map((row) => row.id));
    const suspended = await t.prisma.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM tenants WHERE status = 'suspended' ORDER BY slug DESC, id DESC`;
    expect(suspended.length).toBeGreaterThan(3);
    expect(await readAll('&status=suspended&sort=slug&order=desc', 3)).toEqual(suspended.map((row) => row.id));
  });

  it('a cursor from another sort, another direction or no page of ours is a 400 naming the cursor', async () => {
    const first = await t.app.inject({ url: '/v1/operator/tenants?limit=2&sort=name', headers });
    const cursor = (first.json() as { nextCursor: string }).nextCursor;
    const unknownRow = Buffer.from('name|asc|00000000-0000-4000-8000-000000000000').toString('base64url');
    for (const url of [
      `/v1/operator/tenants?sort=slug&cursor=${cursor}`,
      `/v1/operator/tenants?sort=name&order=desc&cursor=${cursor}`,
      `/v1/operator/tenants?sort=name&cursor=${unknownRow}`,
      '/v1/operator/tenants?sort=name&cursor=bm90LWEtY3Vyc29y',
    ]) {
      const reply = await t.app.inject({ url, headers });
      expect(reply.statusCode, url).toBe(400);
      const body = reply.json() as { error: { code: string; details: { path: string }[] } };
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.details[0]?.path).toBe('querystring.cursor');
    }
    const badSort = await t.app.inject({ url: '/v1/operator/tenants?sort=password_hash', headers });
    expect(badSort.statusCode).toBe(400);
  });
});
