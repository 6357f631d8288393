import { writeAudit } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, startTestApp, type TestApp } from '../../apps/api/src/test-app';

// The audit log is append-only for the role the apps use (the attack: UPDATE, DELETE, TRUNCATE as that role), and
// operators search it through the API: filters, newest first, keyset pages that neither repeat nor skip a row.
let t: TestApp;
let token: string;
const tenantA = crypto.randomUUID();
const tenantB = crypto.randomUUID();
const alice = crypto.randomUUID();

beforeAll(async () => {
  t = await startTestApp();
  await createOperator(t.prisma, 'auditor@example.com', 'correct horse battery staple', 'viewer');
  token = await loginAs(t.app, 'auditor@example.com', 'correct horse battery staple');
  // 30 rows: alice acts on tenant A (tenant.suspend / tenant.resume alternating), the system on tenant B.
  for (let i = 0; i < 30; i++) {
    await writeAudit(
      { prisma: t.prisma },
      {
        actor:
          i % 3 === 2 ? { type: 'system', label: 'worker-1' } : { type: 'user', id: alice, label: 'alice@example.com' },
        action: i % 2 === 0 ? 'tenant.suspend' : 'tenant.resume',
        tenantId: i % 3 === 2 ? tenantB : tenantA,
        target: { type: 'tenant', id: i % 3 === 2 ? tenantB : tenantA },
        before: { n: i },
        after: { n: i + 1 },
        request: { ipAddress: '127.0.0.9', userAgent: 'ua', requestId: `req-${i}` },
      },
    );
  }
});
afterAll(() => t.close());

const search = (query: string) =>
  t.app.inject({ url: `/v1/operator/audit?${query}`, headers: { authorization: `Bearer ${token}` } });

describe('the audit log is append-only', () => {
  it('refuses UPDATE, DELETE and TRUNCATE from the app role, and the rows stay as written', async () => {
    const before = await t.prisma.auditLog.findMany({ orderBy: { id: 'asc' } });
    expect(before.length).toBeGreaterThan(30);
    const role = await t.prisma.$queryRaw<Array<{ user: string; superuser: boolean }>>`
      SELECT current_user AS "user", rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`;
    expect(role[0]?.superuser).toBe(false);
    await expect(t.prisma.$executeRaw`UPDATE audit_log SET action = 'forged' WHERE true`).rejects.toThrow(
      /permission denied|append-only/,
    );
    await expect(t.prisma.$executeRaw`DELETE FROM audit_log WHERE true`).rejects.toThrow(
      /permission denied|append-only/,
    );
    await expect(t.prisma.$executeRaw`TRUNCATE audit_log`).rejects.toThrow(/permission denied|append-only/);
    await expect(t.prisma.auditLog.updateMany({ where: {}, data: { actorLabel: 'someone else' } })).rejects.toThrow();
    await expect(t.prisma.auditLog.deleteMany({})).rejects.toThrow();
    const privileges = await t.prisma.$queryRaw<Array<{ update: boolean; delete: boolean; insert: boolean }>>`
      SELECT has_table_privilege('audit_log', 'UPDATE') AS update, has_table_privilege('audit_log', 'DELETE') AS delete,
             has_table_privilege('audit_log', 'INSERT') AS insert`;
    expect(privileges[0]).toEqual({ update: false, delete: false, insert: true });
    expect(await t.prisma.auditLog.findMany({ orderBy: { id: 'asc' } })).toEqual(before);
  });

  it('leaves the app role no way around the trigger: it cannot drop or disable it', async () => {
    await expect(t.prisma.$executeRaw`DROP TRIGGER audit_log_append_only ON audit_log`).rejects.toThrow(
      /must be owner|permission denied/,
    );
    await expect(t.prisma.$executeRaw`ALTER TABLE audit_log DISABLE TRIGGER ALL`).rejects.toThrow(
      /must be owner|permission denied/,
    );
    const triggers = await t.prisma.$queryRaw<Array<{ tgname: string; tgenabled: string }>>`
      SELECT tgname, tgenabled::text AS tgenabled FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal
       ORDER BY tgname`;
    expect(triggers).toEqual([
      { tgname: 'audit_log_append_only', tgenabled: 'O' },
      { tgname: 'audit_log_no_truncate', tgenabled: 'O' },
    ]);
  });
});

describe('searching the audit log', () => {
  type Page = { entries: Array<{ id: string; action: string; tenantId: string | null }>; nextCursor: string | null };

  async function all(query: string, limit: number, from: string | null = null): Promise<Page['entries']> {
    const seen: Page['entries'] = [];
    let cursor: string | null = from;
    do {
      const reply = await search(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(reply.statusCode, reply.body).toBe(200);
      const page = reply.json() as Page;
      expect(page.entries.length).toBeLessThanOrEqual(limit);
      seen.push(...page.entries);
      cursor = page.nextCursor;
    } while (cursor);
    return seen;
  }

  it('pages newest first without repeating or skipping a row, rows written meanwhile not shifting the pages', async () => {
    const first = await search(`tenantId=${tenantA}&limit=7`);
    const page1 = first.json() as Page;
    // A row written between pages is newer than every page after the first: it cannot appear in them.
    await writeAudit(
      { prisma: t.prisma },
      {
        actor: { type: 'system', label: 'late' },
        action: 'tenant.suspend',
        tenantId: tenantA,
      },
    );
    const rest = await all(`tenantId=${tenantA}`, 7, page1.nextCursor);
    const ids = [...page1.entries, ...rest].map((e) => BigInt(e.id));
    expect(ids.length).toBe(20);
    expect(new Set(ids).size).toBe(20);
    expect([...ids].sort((a, b) => (a > b ? -1 : 1))).toEqual(ids);
  });

  it('filters by actor (id or label), tenant, action (exact or prefix) and time range', async () => {
    expect((await all(`actor=${alice}`, 50)).length).toBe(20);
    expect((await all('actor=worker-1', 50)).length).toBe(10);
    expect((await all(`tenantId=${tenantB}`, 50)).every((e) => e.tenantId === tenantB)).toBe(true);
    expect((await all(`actor=${alice}&action=tenant.resume`, 50)).length).toBe(10);
    expect((await all(`actor=${alice}&action=tenant.`, 50)).length).toBe(20);
    const newest = (await search('limit=1')).json() as Page & { entries: Array<{ at: string }> };
    const at = newest.entries[0]?.at ?? '';
    expect((await all(`from=${encodeURIComponent(at)}`, 50)).length).toBeGreaterThanOrEqual(1);
    expect((await all(`to=${encodeURIComponent('2000-01-01T00:00:00Z')}`, 50)).length).toBe(0);
    const entry = (await search(`actor=${alice}&limit=1`)).json().entries[0];
    expect(entry).toMatchObject({
      actor: { type: 'user', id: alice, label: 'alice@example.com' },
      target: { type: 'tenant', id: tenantA },
      ipAddress: '127.0.0.9',
      userAgent: 'ua',
      before: { n: expect.any(Number) },
      after: { n: expect.any(Number) },
    });
  });

  it('answers 400 for a bad cursor, tenant id or action, and 401 without a session', async () => {
    for (const query of ['cursor=abc', 'cursor=1;drop', 'tenantId=nope', "action=x'--", 'limit=0', 'from=yesterday']) {
      const reply = await search(query);
      expect(reply.statusCode, query).toBe(400);
      expect(reply.json().error.code).toBe('validation_failed');
    }
    expect((await t.app.inject({ url: '/v1/operator/audit' })).statusCode).toBe(401);
  });
});
