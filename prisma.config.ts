import { defineConfig } from 'prisma/config';

// Prisma's CLI only generates the client here: migrations are plain SQL applied by packages/db/src/migrate.ts,
// because the schema engine cannot be downloaded. The datasource URL is read only so that ad-hoc CLI commands
// (e.g. `prisma studio`) reach the same database as the apps; generation does not need it.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL },
});
