import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { loggerOptions, runWithRequestId } from '@paddock/platform';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { sendError } from './http/error-body';
import { registerErrorHandling } from './http/error-handler';
import { refuseUnstorableText } from './http/refuse-unstorable-text';
import { type MetricsSettings, registerMetrics } from './http/metrics';
import { type ReadinessCheck, registerHealthRoutes } from './routes/health';

export interface RouteEntry {
  method: string;
  url: string;
  hasBody: boolean;
  hasQuery: boolean;
  /** The route's input schemas as declared (zod): the fuzz suite derives its generated requests from them. */
  schema: { body?: unknown; querystring?: unknown; params?: unknown; headers?: unknown };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with what it reads: lets tests walk all routes (bad input must fail cleanly everywhere). */
    routeCatalog: RouteEntry[];
  }
}

export interface ServerOptions {
  logLevel: string;
  bodyLimitBytes: number;
  /** Proxies (addresses or CIDRs) whose X-Forwarded-For sets request.ip; empty: the peer is the client. */
  trustedProxies?: string[];
  readiness: Record<string, ReadinessCheck>;
  /** Prometheus metrics: request timings and GET /metrics (absent: neither). */
  metrics?: MetricsSettings;
  /** Registers the product's routes; the server itself knows only health, docs and errors. */
  routes?: (app: FastifyInstance) => void | Promise<void>;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions('api', options.logLevel),
    bodyLimit: options.bodyLimitBytes,
    // Only a listed proxy's X-Forwarded-For is read (proxy-addr walks the chain from the peer, stopping at the first
    // untrusted hop); by default nobody's is, so rate limits key on the real peer.
    trustProxy: options.trustedProxies && options.trustedProxies.length > 0 ? options.trustedProxies : false,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    },
    requestIdHeader: false,
    // Errors fastify raises before routing (malformed URL, a path parameter over maxParamLength) get our error
    // model too, instead of fastify's own body.
    frameworkErrors: (error, request, reply) => {
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
        return sendError(request, reply, 'uri_too_long', 'A path segment of this URL is longer than this API accepts.');
      }
      if (error.code === 'FST_ERR_BAD_URL') return sendError(request, reply, 'bad_request', 'The URL is malformed.');
      request.log.error({ err: error }, 'framework error');
      return sendError(request, reply, 'internal', `Something went wrong on our side; quote request id ${request.id}.`);
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // JSON only: fastify also parses text/plain by default, which would turn a wrong content type into a confusing
  // validation error instead of a clear 415.
  app.removeContentTypeParser('text/plain');
  registerErrorHandling(app);
  refuseUnstorableText(app);
  // What a request does runs with its id current (platform request-context.ts): the jobs it enqueues record it and
  // the SSH commands they run hand it to the box. Entered at preHandler, after the body was read: the body stream's
  // events run in the socket's context, so an earlier hook's context would not reach the handler of a POST.
  app.addHook('preHandler', (request, _reply, done) => runWithRequestId(request.id, done));
  if (options.metrics) registerMetrics(app, options.metrics);
  const catalog: RouteEntry[] = [];
  app.decorate('routeCatalog', catalog);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      catalog.push({
        method,
        url: route.url,
        hasBody: Boolean(route.schema?.body),
        hasQuery: Boolean(route.schema?.querystring),
        schema: {
          body: route.schema?.body,
          querystring: route.schema?.querystring,
          params: route.schema?.params,
          headers: route.schema?.headers,
        },
      });
    }
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Paddock control plane',
        description: 'Tenant signup, tenant and operator API.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  registerHealthRoutes(app, options.readiness);
  await options.routes?.(app);
  return app;
}
