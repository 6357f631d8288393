import { connectTestRedis, readTestEnv } from '@paddock/testkit';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from './server';

describe('api server skeleton', () => {
  const redis = connectTestRedis();
  const pool = new pg.Pool({ connectionString: readTestEnv().DATABASE_URL, max: 2 });
  let app: FastifyInstance;

  beforeAll(async () => {
    app = await buildServer({
      logLevel: 'silent',
      bodyLimitBytes: 4_096,
      readiness: {
        postgres: async () => {
          await pool.query('SELECT 1');
        },
        redis: async () => {
          await redis.ping();
        },
      },
    });
  });

  afterAll(async () => {
    await app.close();
    await pool.end();
    redis.disconnect();
  });

  it('answers /healthz and /readyz when PostgreSQL and Redis answer', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: { ok: true }, redis: { ok: true } } });
  });

  it('answers 503 naming the failed check when a dependency is down', async () => {
    const down = await buildServer({
      logLevel: 'silent',
      bodyLimitBytes: 4_096,
      readiness: {
        postgres: async () => {
          // Nothing listens on this loopback port: a real refused connection, not a simulated one.
          const client = new pg.Client({
            connectionString: 'postgresql://nobody@127.0.0.1:1/none',
            connectionTimeoutMillis: 2_000,
          });
          await client.connect();
        },
      },
    });
    const ready = await down.inject({ url: '/readyz' });
    await down.close();
    expect(ready.statusCode).toBe(503);
    const body = ready.json() as { status: string; checks: Record<string, { ok: boolean; error?: string }> };
    expect(body.status).toBe('not_ready');
    expect(body.checks.postgres?.ok).toBe(false);
  });

  it('answers an unknown route with a 404 in the error model and a request id', async () => {
    const reply = await app.inject({ url: '/nope?x=1', headers: { 'x-request-id': 'req-abc' } });
    expect(reply.statusCode).toBe(404);
    expect(reply.headers['x-request-id']).toBe('req-abc');
    expect(reply.json()).toEqual({
      error: { code: 'route_not_found', message: 'No route GET /nope.', requestId: 'req-abc' },
    });
  });

  it('answers an over-long path parameter and a malformed URL in the error model', async () => {
    const app2 = await buildServer({
      logLevel: 'silent',
      bodyLimitBytes: 4_096,
      readiness: {},
      routes: (server) => {
        server.get('/things/:id', async () => ({ ok: true }));
      },
    });
    const long = await app2.inject({ url: `/things/${'x'.repeat(500)}` });
    const bad = await app2.inject({ url: '/things/%E0%A4%A' });
    await app2.close();
    expect(long.statusCode).toBe(414);
    expect(long.json().error.code).toBe('uri_too_long');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'bad_request', requestId: expect.any(String) });
  });

  it('serves the OpenAPI document at /docs/json and the UI at /docs', async () => {
    const json = await app.inject({ url: '/docs/json' });
    expect(json.statusCode).toBe(200);
    const doc = json.json() as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz']));
    const ui = await app.inject({ url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });

  it('answers an unexpected failure with a 500 that carries the request id and no internals', async () => {
    const broken = await buildServer({
      logLevel: 'silent',
      bodyLimitBytes: 4_096,
      readiness: {},
      routes: (server) => {
        server.get('/explode', async () => {
          throw new Error('connect ECONNREFUSED 10.1.2.3:5432 password=hunter2');
        });
      },
    });
    const reply = await broken.inject({ url: '/explode' });
    await broken.close();
    expect(reply.statusCode).toBe(500);
    const body = reply.json() as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe('internal');
    expect(body.error.message).toContain(body.error.requestId);
    expect(reply.body).not.toMatch(/ECONNREFUSED|hunter2|\.ts:\d+|at /);
  });

  it('serves the same answers over a real socket', async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const health = await fetch(`${address}/healthz`);
    expect(health.status).toBe(200);
    const missing = await fetch(`${address}/missing`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
  });
});
