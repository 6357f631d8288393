import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { startTenantTestApp } from './support';

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTenantTestApp();
  });
  afterAll(() => t.close());

  it('describes signup and every tenant route with its security', async () => {
    const reply = await t.app.inject({ url: '/docs/json' });
    expect(reply.statusCode).toBe(200);
    const doc = reply.json() as {
      paths: Record<string, Record<string, { security?: unknown[]; parameters?: Array<{ name: string; in: string }> }>>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/signup',
        '/v1/secrets',
        '/v1/secrets/{name}',
        '/v1/chains',
        '/v1/chains/{id}/versions',
        '/v1/chains/{id}/versions/{version}',
        '/v1/chains/{id}/versions/{a}/diff/{b}',
        '/v1/usage',
      ]),
    );
    const signup = doc.paths['/v1/signup']?.post;
    expect(signup?.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'idempotency-key', in: 'header' })]),
    );
    expect(doc.paths['/v1/usage']?.get?.security).toEqual([{ bearer: [] }]);
  });
});
