import { z } from 'zod';

// `npm run migrate`'s configuration (migrate-cli.ts), apart from the CLI so the env file template's test can read
// its keys (infra/control-plane/migrate.env.example).
const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL');

const MigrateConfigObject = z.object({
  DATABASE_OWNER_URL: postgresUrl.optional(),
  DATABASE_URL: postgresUrl.optional(),
});

/** Every variable the migration runner reads. */
export const MIGRATE_CONFIG_KEYS = Object.keys(MigrateConfigObject.shape);

export const MigrateConfigSchema = MigrateConfigObject.refine((env) => env.DATABASE_OWNER_URL ?? env.DATABASE_URL, {
  message:
    'DATABASE_OWNER_URL (the role that owns the tables) or DATABASE_URL is required (postgresql://user@host:port/database)',
  path: ['DATABASE_OWNER_URL'],
}).transform((env) => ({ databaseUrl: env.DATABASE_OWNER_URL ?? env.DATABASE_URL ?? '' }));
