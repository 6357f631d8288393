import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../server';
import { CONSOLE_CSP, registerConsole } from './console-static';

async function serverFor(distDir: string): Promise<FastifyInstance> {
  return buildServer({
    logLevel: 'silent',
    bodyLimitBytes: 16_384,
    readiness: {},
    routes: (app) => registerConsole(app, distDir),
  });
}

describe('the console under /console', () => {
  const dist = mkdtempSync(join(tmpdir(), 'console-dist-'));
  let app: FastifyInstance;

  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(dist, 'assets', 'index-AbC123.js'), 'console.log(1)');
    writeFileSync(join(dist, 'assets', 'index-AbC123.css'), 'body{}');
    app = await serverFor(dist);
  });
  afterAll(async () => {
    await app.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('answers index.html for the app and each of its routes, revalidated on every load, with the CSP', async () => {
    for (const url of ['/console', '/console/', '/console/tenants/5a1f', '/console/app/inbox?x=1']) {
      const reply = await app.inject({ url });
      expect(reply.statusCode, url).toBe(200);
      expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(reply.headers['cache-control']).toBe('no-cache');
      expect(reply.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.body).toContain('<div id="root">');
    }
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
  });

  it('serves hashed assets with their content type, cached for a year', async () => {
    const js = await app.inject({ url: '/console/assets/index-AbC123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log(1)');
    const css = await app.inject({ url: '/console/assets/index-AbC123.css' });
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it('answers a missing asset with a 404 in the error model, not the app; and nothing outside the build', async () => {
    const missing = await app.inject({ url: '/console/assets/gone-123.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
    for (const url of [
      '/console/../package.json',
      '/console/%2e%2e/%2e%2e/etc/passwd',
      '/console/assets/..%2f..%2fetc%2fpasswd',
    ]) {
      const reply = await app.inject({ url });
      expect(reply.body, url).not.toMatch(/root:|"name"/);
    }
    const post = await app.inject({ method: 'POST', url: '/console/tenants', payload: {} });
    expect(post.statusCode).toBe(404);
  });

  it('says the console is not built when it is not, instead of a bare 404', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'console-none-'));
    const bare = await serverFor(empty);
    try {
      const reply = await bare.inject({ url: '/console/' });
      expect(reply.statusCode).toBe(503);
      expect(reply.json().error.code).toBe('not_ready');
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
