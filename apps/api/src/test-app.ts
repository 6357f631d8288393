import { createPrismaClient, type PrismaClient } from '@paddock/db';
import { closeQueues, createQueues, type Queues } from '@paddock/jobs';
import { connectTestRedis, createTestDatabase, type TestDatabase, uniqueQueuePrefix } from '@paddock/testkit';
import { hashPassword } from '@paddock/vault';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { registerRoutes } from './routes';
import { buildServer } from './server';

export interface TestApp {
  app: FastifyInstance;
  prisma: PrismaClient;
  queues: Queues;
  close(): Promise<void>;
}

export const TEST_BODY_LIMIT = 16_384;

/** The real server with every route, on a fresh database and its own queue prefix. */
export async function startTestApp(): Promise<TestApp> {
  const db: TestDatabase = await createTestDatabase();
  const prisma = createPrismaClient(db.url, { poolMax: 4 });
  const redis: Redis = connectTestRedis();
  const queues = createQueues(redis, uniqueQueuePrefix());
  const app = await buildServer({
    logLevel: 'silent',
    bodyLimitBytes: TEST_BODY_LIMIT,
    readiness: {},
    routes: (server) => registerRoutes(server, { prisma, queues }),
  });
  return {
    app,
    prisma,
    queues,
    async close() {
      await app.close();
      await closeQueues(queues);
      redis.disconnect();
      await prisma.$disconnect();
      await db.drop();
    },
  };
}

export async function createOperator(prisma: PrismaClient, email: string, password: string) {
  return prisma.user.create({ data: { email, role: 'operator', passwordHash: await hashPassword(password) } });
}

export async function loginAs(app: FastifyInstance, email: string, password: string): Promise<string> {
  const reply = await app.inject({ method: 'POST', url: '/v1/operator/sessions', payload: { email, password } });
  if (reply.statusCode !== 201) throw new Error(`login failed: ${reply.statusCode} ${reply.body}`);
  return (reply.json() as { token: string }).token;
}
