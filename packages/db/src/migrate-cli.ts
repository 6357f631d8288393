// `npm run migrate`: applies pending migrations and says what it did. It connects with DATABASE_OWNER_URL, the role
// that owns the database's tables (not a superuser), or with DATABASE_URL when only that is given (one role for all).
// `npm run migrate -- --status` only reports (applied / pending / edited / unknown) and exits 1 when not up to date.
// `npm run migrate -- --drift` compares the database with prisma/schema.prisma and exits 1 on any difference.
import { isAppError } from '@paddock/contracts';
import { exitOnConfigError, parseConfig } from '@paddock/platform';
import type { z } from 'zod';
import { findSchemaDrift } from './drift/find-schema-drift';
import { MigrateConfigSchema } from './migrate-config';
import { migrationStatus, runMigrations } from './migrate';

async function main(): Promise<number> {
  let config: z.output<typeof MigrateConfigSchema>;
  try {
    config = parseConfig('migrate', MigrateConfigSchema, process.env);
  } catch (error) {
    exitOnConfigError(error);
  }
  if (process.argv.includes('--status')) {
    const status = await migrationStatus({ databaseUrl: config.databaseUrl });
    console.log(`applied: ${status.applied.length}`);
    for (const name of status.pending) console.log(`pending: ${name}`);
    for (const name of status.modified) console.log(`edited after it was applied: ${name}`);
    for (const name of status.unknown) console.log(`unknown to this checkout: ${name}`);
    return status.pending.length + status.modified.length + status.unknown.length === 0 ? 0 : 1;
  }
  if (process.argv.includes('--drift')) {
    const drift = await findSchemaDrift({ databaseUrl: config.databaseUrl });
    for (const line of drift) console.log(`drift: ${line}`);
    console.log(drift.length === 0 ? 'database matches prisma/schema.prisma' : `${drift.length} difference(s)`);
    return drift.length === 0 ? 0 : 1;
  }
  const { applied } = await runMigrations({ databaseUrl: config.databaseUrl, log: (line) => console.log(line) });
  console.log(applied.length === 0 ? 'migrate: database is up to date' : `migrate: applied ${applied.length}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A migration problem is the operator's to fix: say what and where, without a stack trace.
    if (isAppError(error)) console.error(error.message);
    else console.error(`migrate: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
