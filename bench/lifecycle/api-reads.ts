import { seedPlans } from '@paddock/db';
import { createMigratedDatabase } from '@paddock/testkit';
import pg from 'pg';
import type { Figure } from '../harness';
import { startTestApp } from '../../apps/api/src/test-app';
import { measureGets } from './measure-latency';
import { seedAtScale } from './seed-scale';

export interface ApiReadOptions {
  tenants: number;
  runs: number;
  requestsPerRoute: number;
  concurrency: number;
}

/**
 * Tenant reads through the real API process code (fastify, API-key auth, Prisma, the tenant-scoped queries) over a
 * real socket, against a database holding `tenants` tenants and `runs` runs. Latency is client-side.
 */
export async function measureApiReads(options: ApiReadOptions, log: (line: string) => void): Promise<Figure[]> {
  const database = await createMigratedDatabase();
  const t = await startTestApp({ poolMax: 8, database });
  // The bulk load turns off foreign-key triggers for its session and makes a scratch table: the admin role's work
  // (the app role the API uses may do neither).
  const pool = new pg.Pool({ connectionString: database.adminUrl, max: 2 });
  try {
    await seedPlans(t.prisma, { provider: 'local' });
    const seed = await seedAtScale(pool, { tenants: options.tenants, runs: options.runs, sampled: 50 }, log);
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const pick = (i: number) => {
      const tenant = seed.sampled[i % seed.sampled.length];
      if (!tenant) throw new Error('no sampled tenant');
      return tenant;
    };
    const routes: { name: string; path: (i: number) => string }[] = [
      { name: 'GET /v1/runs', path: () => '/v1/runs?limit=50' },
      { name: 'GET /v1/runs?status=failed', path: () => '/v1/runs?status=failed&limit=50' },
      {
        name: 'GET /v1/runs/:id',
        path: (i) => {
          const runIds = pick(i).runIds;
          return `/v1/runs/${runIds[Math.floor(i / seed.sampled.length) % runIds.length]}`;
        },
      },
      { name: 'GET /v1/decisions', path: () => '/v1/decisions?status=pending&outputBytes=0' },
      { name: 'GET /v1/usage (30 days by day)', path: () => '/v1/usage?groupBy=day' },
    ];
    const figures: Figure[] = [];
    for (const route of routes) {
      // Warm the plan cache and the connection pool before measuring.
      await measureGets(address, 100, options.concurrency, (i) => ({ path: route.path(i), token: pick(i).key }));
      const { result: summary, statements } = await countingStatements(() =>
        measureGets(address, options.requestsPerRoute, options.concurrency, (i) => ({
          path: route.path(i),
          token: pick(i).key,
        })),
      );
      const perRequest = statements / options.requestsPerRoute;
      log(
        `${route.name}: p50 ${summary.p50.toFixed(2)} ms, p99 ${summary.p99.toFixed(2)} ms, ` +
          `${summary.perSecond.toFixed(0)} req/s at concurrency ${options.concurrency}, ` +
          `${perRequest.toFixed(2)} statements per request`,
      );
      figures.push(
        { name: `${route.name} p50`, value: summary.p50, unit: 'ms' },
        { name: `${route.name} p99`, value: summary.p99, unit: 'ms' },
        { name: `${route.name} throughput`, value: summary.perSecond, unit: 'req/s' },
        { name: `${route.name} statements per request`, value: perRequest, unit: 'statements' },
      );
    }
    return figures;
  } finally {
    await pool.end();
    await t.close();
  }
}

/**
 * The statements this process sends to Postgres while `work` runs (every round trip: Prisma's adapter, raw SQL and
 * the API-key check all go through pg.Client#query). Only the API talks to the database meanwhile.
 */
async function countingStatements<T>(work: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const client = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = client.query;
  let statements = 0;
  client.query = function (this: unknown, ...args: unknown[]) {
    statements++;
    return query.apply(this, args);
  };
  try {
    return { result: await work(), statements };
  } finally {
    client.query = query;
  }
}
