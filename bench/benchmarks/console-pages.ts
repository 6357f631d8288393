import { createMigratedDatabase } from '@paddock/testkit';
import pg from 'pg';
import { createOperator, loginAs, startTestApp } from '../../apps/api/src/test-app';
import { defineBenchmark, type Figure } from '../harness';

// `npm run bench -- console-pages --quick`: a hundredth of the size, to try the harness.
const QUICK = process.argv.includes('--quick');
const TENANTS = QUICK ? 100 : 10_000;
const REPEATS = 7;
const STATUSES = ['active', 'active', 'active', 'suspended', 'provisioning_failed', 'provisioning'];

/**
 * What each main operator page asks the API for, with 10,000 tenants (each with a box and an owner, statuses mixed,
 * an open alert on every tenth): the median of several reads of each, in-process (fastify inject), so the figure is
 * the server's time to data without the network.
 */
export default defineBenchmark({
  name: 'console-pages',
  description: `operator console pages' API reads with ${TENANTS} tenants: median ms each`,
  async run(log) {
    const db = await createMigratedDatabase();
    const seed = new pg.Client({ connectionString: db.adminUrl });
    await seed.connect();
    try {
      const plan = await seed.query<{ id: string }>(
        `INSERT INTO plans (code, name, price_minor, provider) VALUES ('bench-console', 'Bench', 2900, 'local')
         RETURNING id`,
      );
      await seed.query(
        `INSERT INTO tenants (slug, name, status, plan_id, created_at)
         SELECT 'bench-' || i, 'Bench tenant ' || i, ($3::text[])[1 + i % array_length($3::text[], 1)]::tenant_status,
                $1, now() - make_interval(secs => i)
           FROM generate_series(1, $2::int) i`,
        [plan.rows[0]?.id, TENANTS, STATUSES],
      );
      await seed.query(`INSERT INTO boxes (tenant_id, provider, status) SELECT id, 'local', 'ready' FROM tenants`);
      await seed.query(
        `INSERT INTO users (email, role, tenant_id) SELECT 'owner-' || slug || '@example.com', 'owner', id FROM tenants`,
      );
      await seed.query(
        `INSERT INTO alerts (tenant_id, code, severity, message, dedupe_key)
         SELECT id, 'bench', 'warning', 'bench alert', 'bench:' || id FROM tenants WHERE slug LIKE '%0'`,
      );
      // Ten priced usage events per tenant this month and a day of box time each: the overview's spend sums them.
      await seed.query(
        `INSERT INTO usage_events (tenant_id, box_id, idempotency_key, runtime_run_id, seq, type, rating, charged_picos,
                                   reported_cost_micros, tokens_in, tokens_out, occurred_at)
         SELECT b.tenant_id, b.id, b.id || ':bench:' || g, 'bench', g, 'usage', 'priced', 1500000000, 900, 1000, 200,
                date_trunc('month', now()) + make_interval(mins => g)
           FROM boxes b, generate_series(1, 10) g`,
      );
      await seed.query(
        `INSERT INTO cost_entries (tenant_id, box_id, kind, description, quantity, unit, amount_micros, source_key,
                                   occurred_at)
         SELECT tenant_id, id, 'box_time', 'box time', 86400000, 'ms', 160000, 'bench:' || id,
                date_trunc('month', now()) FROM boxes`,
      );
      await seed.query('ANALYZE');
    } finally {
      await seed.end();
    }
    log(`seeded ${TENANTS} tenants`);
    const t = await startTestApp({ database: db });
    try {
      await createOperator(t.prisma, 'bench@example.com', 'correct horse battery staple');
      const token = await loginAs(t.app, 'bench@example.com', 'correct horse battery staple');
      const headers = { authorization: `Bearer ${token}` };
      const get = async (url: string) => {
        const reply = await t.app.inject({ url, headers });
        if (reply.statusCode !== 200) throw new Error(`${url}: ${reply.statusCode} ${reply.body}`);
        return reply.json() as Record<string, unknown>;
      };
      const first = (await get('/v1/operator/tenants?limit=50')) as { tenants: { id: string }[]; nextCursor: string };
      const someone = first.tenants[7]?.id ?? '';
      // A cursor from the middle of the list in each sort (what "Next page" sends after 100 pages).
      const middle = async (orderBy: string) => {
        const rows = await t.prisma.$queryRawUnsafe<{ id: string }[]>(
          `SELECT id::text AS id FROM tenants ORDER BY ${orderBy} OFFSET ${Math.floor(TENANTS / 2)} LIMIT 1`,
        );
        return rows[0]?.id ?? '';
      };
      const deep = (sort: string, order: string, id: string) =>
        Buffer.from(`${sort}|${order}|${id}`, 'utf8').toString('base64url');
      const byName = deep('name', 'asc', await middle('name, id'));
      const byStatus = deep('status', 'desc', await middle('status DESC, created_at DESC, id DESC'));
      const pages: Record<string, string> = {
        overview: '/v1/operator/overview',
        'tenants (first page)': '/v1/operator/tenants?limit=50',
        'tenants (next page)': `/v1/operator/tenants?limit=50&cursor=${first.nextCursor}`,
        'tenants (search)': '/v1/operator/tenants?limit=50&q=bench-77',
        'tenants (search by email)': '/v1/operator/tenants?limit=50&q=owner-bench-4242',
        'tenants (status filter)': '/v1/operator/tenants?limit=50&status=suspended',
        'tenants (sorted by name)': '/v1/operator/tenants?limit=50&sort=name',
        'tenants (sorted by name, middle page)': `/v1/operator/tenants?limit=50&sort=name&cursor=${byName}`,
        'tenants (sorted by slug, descending)': '/v1/operator/tenants?limit=50&sort=slug&order=desc',
        'tenants (sorted by status, descending, middle page)': `/v1/operator/tenants?limit=50&sort=status&order=desc&cursor=${byStatus}`,
        'tenants (status filter, sorted by name)': '/v1/operator/tenants?limit=50&status=active&sort=name',
        'tenant page: costs by day': `/v1/operator/tenants/${someone}/costs?groupBy=day`,
        'tenant page: invoices': `/v1/operator/invoices?tenantId=${someone}&limit=12`,
        'tenant page: alerts': `/v1/operator/alerts?tenantId=${someone}&limit=20`,
        accounts: '/v1/operator/accounts',
        'audit log (first page)': '/v1/operator/audit?limit=50',
        'audit log (by actor)': '/v1/operator/audit?limit=50&actor=bench@example.com',
        'tenant page': `/v1/operator/tenants/${someone}`,
        rollouts: '/v1/operator/rollouts?limit=20',
      };
      const figures: Figure[] = [];
      for (const [name, url] of Object.entries(pages)) {
        await get(url);
        const times: number[] = [];
        for (let i = 0; i < REPEATS; i++) {
          const started = performance.now();
          await get(url);
          times.push(performance.now() - started);
        }
        times.sort((a, b) => a - b);
        const median = times[Math.floor(times.length / 2)] ?? Number.NaN;
        log(`${name}: ${median.toFixed(1)} ms`);
        figures.push({ name, value: Math.round(median * 10) / 10, unit: 'ms', target: { op: '<=', value: 200 } });
      }
      return figures;
    } finally {
      await t.close();
    }
  },
});
