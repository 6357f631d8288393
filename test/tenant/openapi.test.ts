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

  it('marks every tenant route as needing a bearer credential, except logging in; documents the account routes', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown; responses?: object }>>;
    };
    // Redeeming an invite takes the invite's token instead of a session.
    const open = new Set(['post /v1/signup', 'post /v1/sessions', 'post /v1/members/accept']);
    const tenantOperations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/') && !path.startsWith('/v1/operator/'))
      .flatMap(([path, operations]) =>
        Object.entries(operations).map(([method, op]) => ({ id: `${method} ${path}`, op })),
      );
    expect(tenantOperations.map((o) => o.id)).toEqual(
      expect.arrayContaining(['post /v1/sessions', 'delete /v1/sessions/current', 'get /v1/me', 'put /v1/me/password']),
    );
    for (const { id, op } of tenantOperations) {
      expect({ id, security: op.security }).toEqual({ id, security: open.has(id) ? undefined : [{ bearer: [] }] });
    }
    const schemaText = JSON.stringify(doc.paths['/v1/me/password']?.put?.requestBody);
    expect(schemaText).toContain('"minLength":12');
    expect(schemaText).toContain('"maxLength":256');
    expect(JSON.stringify(doc.paths['/v1/signup']?.post?.requestBody)).toContain('password');
    expect(Object.keys(doc.paths['/v1/sessions']?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['201', '400', '401', '429']),
    );
  });
});
