import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '@paddock/contracts';

export const defaultMigrationsDir = join(import.meta.dirname, '../../../prisma/migrations');

/** `20261123090000_init`: a UTC timestamp, so names sort in the order they were written. */
const MIGRATION_NAME = /^\d{14}_[a-z0-9_]+$/;

/** A migration whose first line is this marker runs outside a transaction (e.g. CREATE INDEX CONCURRENTLY). */
const NO_TRANSACTION_MARKER = '-- paddock:no-transaction';

export interface MigrationFile {
  name: string;
  path: string;
  sql: string;
  checksum: string;
  transactional: boolean;
}

/** sha256 of the SQL with line endings normalised, so a checkout with CRLF endings is not an "edited" migration. */
export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

export function readMigrations(migrationsDir: string = defaultMigrationsDir): MigrationFile[] {
  if (!existsSync(migrationsDir)) {
    throw new AppError('internal', `migrations directory ${migrationsDir} does not exist`);
  }
  const names = readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return names.map((name) => {
    const path = join(migrationsDir, name, 'migration.sql');
    if (!MIGRATION_NAME.test(name)) {
      throw new AppError(
        'internal',
        `migration directory "${name}" must be named <14-digit UTC timestamp>_<snake_name>`,
        {
          details: [{ path, message: 'bad migration name', migration: name }],
        },
      );
    }
    if (!existsSync(path)) {
      throw new AppError('internal', `migration ${name} has no migration.sql (${path})`, {
        details: [{ path, message: 'missing migration.sql', migration: name }],
      });
    }
    const sql = readFileSync(path, 'utf8');
    return { name, path, sql, checksum: checksumOf(sql), transactional: !sql.startsWith(NO_TRANSACTION_MARKER) };
  });
}
