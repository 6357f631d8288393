import type { ApiDeps } from './deps';
import { randomBytes } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '@paddock/db';
import { SshPool, sh } from '@paddock/fleet';
import { closeQueues, createQueues, type Queues } from '@paddock/jobs';
import { createMetricsRegistry, createSshMetrics, type Registry, registerFleetGauges } from '@paddock/metrics';
import {
  BoxGateway,
  ChangeFeed,
  createPrismaFleetRecorder,
  type GatewayConnector,
  loadBoxTargetWithPrisma,
  sshGatewayConnector,
} from '@paddock/services';
import { connectTestRedis, createTestDatabase, type TestDatabase, uniqueQueuePrefix } from '@paddock/testkit';
import { createVault, hashPassword, type Vault } from '@paddock/vault';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { FrontDoorSettings } from './http/front-door';
import { registerConsole } from './http/console-static';
import { PasswordWorkGate } from './http/password-work';
import type { RateLimitRule } from './http/rate-limit';
import { registerRoutes } from './routes';
import type { ReadinessCheck } from './routes/health';
import { buildServer } from './server';

export interface TestApp {
  app: FastifyInstance;
  prisma: PrismaClient;
  queues: Queues;
  redis: Redis;
  vault: Vault;
  ssh: SshPool;
  boxes: BoxGateway;
  changes: ChangeFeed;
  /** The process's password-work gate: its counters show how much scrypt work a flood got to start. */
  passwordWork: PasswordWorkGate;
  /** The test database (for tests that run the collector's SQL ingestion next to the API). */
  databaseUrl: string;
  /** What GET /metrics serves. */
  metrics: Registry;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /**
   * PADDOCK_MASTER_KEY (default: a fresh random key): for tests whose worker processes must open what the API stored,
   * and key rotation tests that give a keyring.
   */
  masterKey?: string;
  /** Pooled Postgres connections (default 4); load tests raise it. */
  poolMax?: number;
  /** How long a query may wait for a pooled connection (default 10 s); burst tests queue far more than that. */
  poolTimeoutMs?: number;
  /** Default: high enough that only a test aiming at the limit reaches it. */
  signupRateLimit?: RateLimitRule;
  /** How boxes are reached (default: over SSH, as in production); tests of runs use a local runtime. */
  boxConnector?: (deps: { prisma: PrismaClient; vault: Vault; ssh: SshPool }) => GatewayConnector;
  boxRequestTimeoutMs?: number;
  /** Login/write limits and the password-work cap (default: limits high enough that only tests aiming at them hit). */
  frontDoor?: FrontDoorSettings;
  /** Proxies whose X-Forwarded-For is believed (default: none). */
  trustedProxies?: string[];
  /** Readiness checks (default: none). */
  readiness?: Record<string, ReadinessCheck>;
  /** A database made by the caller (benchmarks outside vitest); dropped by `close()` like the default one. */
  database?: TestDatabase;
  /** Terminal stream limits (default: the API's defaults). */
  terminals?: ApiDeps['terminals'];
  /** METRICS_TOKEN (default: none, /metrics answers loopback clients). */
  metricsToken?: string;
  /** Serve the console's build from this directory under /console, as main.ts does (browser tests). */
  consoleDir?: string;
}

export const TEST_BODY_LIMIT = 16_384;

/** Front-door limits for tests: high enough that only a test aiming at one reaches it. */
export const TEST_FRONT_DOOR: FrontDoorSettings = {
  operatorLoginPerAddress: { limit: 100_000, windowMs: 60_000 },
  operatorLoginPerAccount: { limit: 100_000, windowMs: 60_000 },
  tenantWrites: { limit: 100_000, windowMs: 60_000 },
  passwordWork: { concurrency: 4, queue: 100_000 },
};

/** The real server with every route, on a fresh database and its own queue prefix. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db: TestDatabase = options.database ?? (await createTestDatabase());
  const prisma = createPrismaClient(db.url, {
    poolMax: options.poolMax ?? 4,
    ...(options.poolTimeoutMs === undefined ? {} : { connectionTimeoutMs: options.poolTimeoutMs }),
  });
  const redis: Redis = connectTestRedis();
  const prefix = uniqueQueuePrefix();
  const queues = createQueues(redis, prefix);
  const vault = createVault(options.masterKey ?? randomBytes(32).toString('base64'));
  const signupRateLimit = options.signupRateLimit ?? { limit: 100_000, windowMs: 60_000 };
  const metrics = createMetricsRegistry('api');
  registerFleetGauges(metrics, { prisma, queues });
  const ssh = new SshPool({
    timeouts: { connectMs: 10_000, commandMs: 30_000 },
    observer: createSshMetrics(metrics),
    recorder: createPrismaFleetRecorder({ prisma }, { actor: { type: 'system', label: 'api' } }),
  });
  const connector =
    options.boxConnector?.({ prisma, vault, ssh }) ??
    sshGatewayConnector({
      ssh,
      target: (boxId) => loadBoxTargetWithPrisma({ prisma, vault }, boxId),
      serveCommand: sh`/opt/paddock/bin/paddock-service serve`,
    });
  const boxes = new BoxGateway({ connector, requestTimeoutMs: options.boxRequestTimeoutMs ?? 15_000 });
  const changes = new ChangeFeed({ databaseUrl: db.url, log: { info: () => {}, warn: () => {} } });
  await changes.start();
  const frontDoor = options.frontDoor ?? TEST_FRONT_DOOR;
  const passwordWork = new PasswordWorkGate(frontDoor.passwordWork);
  const app = await buildServer({
    logLevel: 'silent',
    bodyLimitBytes: TEST_BODY_LIMIT,
    readiness: options.readiness ?? {},
    metrics: { registry: metrics, token: options.metricsToken },
    ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
    routes: async (server) => {
      if (options.consoleDir) await registerConsole(server, options.consoleDir);
      registerRoutes(server, {
        prisma,
        queues,
        redis,
        redisPrefix: prefix,
        vault,
        signupRateLimit,
        frontDoor,
        passwordWork,
        ssh,
        boxes,
        changes,
        // Tests deliver webhooks to receivers on 127.0.0.1 only (production: https to public addresses).
        webhookPolicy: { allowLoopback: true },
        ...(options.terminals ? { terminals: options.terminals } : {}),
      });
    },
  });
  return {
    app,
    prisma,
    queues,
    redis,
    vault,
    ssh,
    boxes,
    changes,
    passwordWork,
    databaseUrl: db.url,
    metrics,
    async close() {
      await app.close();
      await changes.close();
      await boxes.close();
      await ssh.close(2_000);
      await closeQueues(queues);
      redis.disconnect();
      await prisma.$disconnect();
      await db.drop();
    },
  };
}

/** An operator account; an owner unless `role` says otherwise (the role decides what the session may do). */
export async function createOperator(
  prisma: PrismaClient,
  email: string,
  password: string,
  role: 'owner' | 'operator' | 'viewer' = 'owner',
) {
  return prisma.user.create({
    data: { email, role: 'operator', operatorRole: role, passwordHash: await hashPassword(password) },
  });
}

export async function loginAs(app: FastifyInstance, email: string, password: string): Promise<string> {
  const reply = await app.inject({ method: 'POST', url: '/v1/operator/sessions', payload: { email, password } });
  if (reply.statusCode !== 201) throw new Error(`login failed: ${reply.statusCode} ${reply.body}`);
  return (reply.json() as { token: string }).token;
}
