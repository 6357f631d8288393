// @paddock/db: the Prisma client and its generated model types, the migration runner, seeds.
// Migrations and the embedded server have their own entry points ('@paddock/db/migrate', '.../embedded-server').
export { type CreatePrismaClientOptions, createPrismaClient } from './client';
export { parseDatabaseUrl, type ParsedDatabaseUrl } from './database-url';
export * from './generated/prisma/client';
export {
  DEFAULT_PLANS,
  type SeedFirstOperatorResult,
  seedFirstOperator,
  seedPlans,
} from './seed';
