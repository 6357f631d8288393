import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendError } from './error-body';

/**
 * The console's built files (apps/console/dist) under /console. Vite names every asset by its content hash, so those
 * are cached for a year; index.html is revalidated on every load so a new build is picked up at once. Paths that are
 * not files are the console's own routes (/console/tenants/...): they get index.html and the app routes in the
 * browser. Everything here carries a strict CSP: scripts, styles and connections only from this origin, no framing.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Stylesheets come from this origin; inline styles (the <style> elements and style attributes xterm.js writes for
  // the terminal's cell size and 24-bit colours) are allowed because CSS alone cannot reach another origin here:
  // img-src, font-src and connect-src stay 'self', and scripts stay 'self' only.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const HASHED_ASSET = /^\/console\/assets\//;

export async function registerConsole(app: FastifyInstance, distDir: string): Promise<void> {
  await app.register(
    async (scope) => {
      scope.addHook('onSend', async (_request, reply) => {
        reply.header('content-security-policy', CONSOLE_CSP);
        reply.header('x-content-type-options', 'nosniff');
        reply.header('referrer-policy', 'no-referrer');
        reply.header('x-frame-options', 'DENY');
      });
      if (!existsSync(join(distDir, 'index.html'))) {
        // The API runs without a built console (tests of the API alone, a checkout that never built it): say so. It
        // looks once, at start: build the console first (npm start and the browser tests do).
        scope.get('/*', async (request, reply) =>
          sendError(request, reply, 'not_ready', 'The console is not built: run `npm run build -w @paddock/console`.'),
        );
        return;
      }
      await scope.register(fastifyStatic, {
        root: distDir,
        prefix: '/',
        index: false,
        // One route (/console/*) rather than one per file at start: a rebuild's new files are served without a restart.
        wildcard: true,
        cacheControl: false,
        setHeaders: (reply, path) => {
          reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
        },
      });
      const sendIndex = (reply: FastifyReply) => {
        reply.header('cache-control', 'no-cache');
        return reply.type('text/html; charset=utf-8').sendFile('index.html');
      };
      scope.get('/', async (_request, reply) => sendIndex(reply));
      scope.setNotFoundHandler(async (request, reply) => {
        if (request.method !== 'GET' && request.method !== 'HEAD') {
          return sendError(request, reply, 'route_not_found', `There is no route ${request.method} ${request.url}.`);
        }
        // A missing hashed asset is a real 404 (an old page asking for a file a new build replaced), not the app.
        if (HASHED_ASSET.test(request.url)) {
          return sendError(request, reply, 'not_found', 'There is no such console file.');
        }
        return sendIndex(reply);
      });
    },
    // '/' in this scope answers both /console and /console/ (fastify's prefixTrailingSlash 'both').
    { prefix: '/console' },
  );
}
