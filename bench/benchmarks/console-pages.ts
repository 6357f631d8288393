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
      const pages: Record<string, string> = {
        overview: '/v1/operator/overview',
        'tenants (first page)': '/v1/operator/tenants?limit=50',
        'tenants (next page)': `/v1/operator/tenants?limit=50&cursor=${first.nextCursor}`,
        'tenants (search)': '/v1/operator/tenants?limit=50&q=bench-77',
        'tenants (search by email)': '/v1/operator/tenants?limit=50&q=owner-bench-4242',
        'tenants (status filter)': '/v1/operator/tenants?limit=50&status=suspended',
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
