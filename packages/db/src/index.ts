// @paddock/db: the Prisma client and its generated model types, the migration runner, seeds.
// Migrations, the embedded server and the drift check have their own entries ('@paddock/db/migrate',
// '@paddock/db/embedded-server', '@paddock/db/drift'): see README.md for why.
export { type CreatePrismaClientOptions, createPrismaClient } from './client';
export { parseDatabaseUrl, type ParsedDatabaseUrl } from './database-url';
export * from './generated/prisma/client';
export {
  DEFAULT_PLANS,
  type SeedFirstOperatorResult,
  seedFirstOperator,
  seedPlans,
} from './seed';
export { MIGRATE_CONFIG_KEYS } from './migrate-config';
