import type { PrismaClient } from '@paddock/db';
import type { Queues } from '@paddock/jobs';

/** The clients routes hand to services. Built once in main.ts (or a test) and passed in, never imported. */
export interface ApiDeps {
  prisma: PrismaClient;
  queues: Queues;
}
