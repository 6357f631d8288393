import { createPrismaClient } from '@paddock/db';
import { DEFAULT_BOX_LAYOUT, layoutPaths, SshPool, sh } from '@paddock/fleet';
import { pendingMigrations } from '@paddock/db/migrate';
import { closeQueues, createQueues } from '@paddock/jobs';
import { createMetricsRegistry, createSshMetrics, registerFleetGauges } from '@paddock/metrics';
import { createLogger, exitOnConfigError, Shutdown } from '@paddock/platform';
import {
  BoxGateway,
  ChangeFeed,
  createPrismaFleetRecorder,
  loadBoxTargetWithPrisma,
  sshGatewayConnector,
} from '@paddock/services';
import { createVault } from '@paddock/vault';
import { Redis } from 'ioredis';
import { loadApiConfig } from './config';
import { registerConsole } from './http/console-static';
import { registerRoutes } from './routes';
import { buildServer } from './server';

let config: ReturnType<typeof loadApiConfig>;
try {
  config = loadApiConfig(process.env);
} catch (error) {
  exitOnConfigError(error);
}

const logger = createLogger('api', config.LOG_LEVEL);
const shutdown = new Shutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
shutdown.onSignals();

const prisma = createPrismaClient(config.DATABASE_URL);
shutdown.register('postgres', () => prisma.$disconnect());
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, connectTimeout: 5_000 });
shutdown.register('redis', () => redis.quit());
const queues = createQueues(redis, config.QUEUE_PREFIX);
shutdown.register('queues', () => closeQueues(queues));
const vault = createVault(config.PADDOCK_MASTER_KEY);
const metrics = createMetricsRegistry('api');
registerFleetGauges(metrics, { prisma, queues });
// The fleet recorder: a box presenting a changed host key to the API is recorded as it is by the workers.
const ssh = new SshPool({
  observer: createSshMetrics(metrics),
  recorder: createPrismaFleetRecorder({ prisma }, { actor: { type: 'system', label: 'api' } }),
});
shutdown.register('ssh', () => ssh.close(2_000));
const boxes = new BoxGateway({
  connector: sshGatewayConnector({
    ssh,
    target: (boxId) => loadBoxTargetWithPrisma({ prisma, vault }, boxId),
    serveCommand: sh`${layoutPaths(DEFAULT_BOX_LAYOUT).service} serve`,
  }),
  requestTimeoutMs: config.BOX_REQUEST_TIMEOUT_MS,
  idleCloseMs: config.BOX_CHANNEL_IDLE_MS,
});
shutdown.register('box channels', () => boxes.close());
const changes = new ChangeFeed({ databaseUrl: config.DATABASE_URL, log: logger });
await changes.start();
shutdown.register('change feed', () => changes.close());

const app = await buildServer({
  logLevel: config.LOG_LEVEL,
  bodyLimitBytes: config.BODY_LIMIT_BYTES,
  trustedProxies: config.TRUSTED_PROXIES,
  metrics: { registry: metrics, token: config.METRICS_TOKEN },
  readiness: {
    postgres: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
    redis: async () => {
      await redis.ping();
    },
    migrations: async () => {
      const pending = await pendingMigrations({ databaseUrl: config.DATABASE_URL });
      if (pending.length > 0) throw new Error(`${pending.length} migration(s) not applied: ${pending.join(', ')}`);
    },
  },
  routes: async (server) => {
    await registerConsole(server, config.CONSOLE_DIR);
    registerRoutes(server, {
      prisma,
      queues,
      redis,
      redisPrefix: config.QUEUE_PREFIX,
      vault,
      webhookPolicy: { allowLoopback: config.WEBHOOKS_ALLOW_LOOPBACK },
      signupRateLimit: { limit: config.SIGNUP_RATE_LIMIT, windowMs: config.SIGNUP_RATE_WINDOW_MS },
      tenantSessions: {
        ttlMs: config.TENANT_SESSION_TTL_MS,
        loginPerAddress: { limit: config.LOGIN_RATE_LIMIT_PER_ADDRESS, windowMs: config.LOGIN_RATE_WINDOW_MS },
        loginPerAccount: { limit: config.LOGIN_RATE_LIMIT_PER_ACCOUNT, windowMs: config.LOGIN_RATE_WINDOW_MS },
      },
      frontDoor: {
        operatorLoginPerAddress: {
          limit: config.OPERATOR_LOGIN_RATE_LIMIT_PER_ADDRESS,
          windowMs: config.LOGIN_RATE_WINDOW_MS,
        },
        operatorLoginPerAccount: {
          limit: config.OPERATOR_LOGIN_RATE_LIMIT_PER_ACCOUNT,
          windowMs: config.LOGIN_RATE_WINDOW_MS,
        },
        tenantWrites: { limit: config.TENANT_WRITE_RATE_LIMIT, windowMs: config.TENANT_WRITE_RATE_WINDOW_MS },
        passwordWork: { concurrency: config.PASSWORD_WORK_CONCURRENCY, queue: config.PASSWORD_WORK_QUEUE },
      },
      ssh,
      boxes,
      changes,
    });
  },
});
// Registered last, closed first: stop accepting requests and finish those in flight before connections go.
shutdown.register('http', () => app.close());
await app.listen({ host: config.HOST, port: config.PORT });
