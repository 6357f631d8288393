import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createOwnedDatabase } from './database';
import { readTestEnv } from './env';

const migrationsDir = join(import.meta.dirname, '../../../prisma/migrations');

function migrationsFingerprint(): string {
  const hash = createHash('sha256');
  for (const entry of readdirSync(migrationsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .sort()) {
    hash.update(entry.name);
    hash.update(readFileSync(join(migrationsDir, entry.name, 'migration.sql')));
  }
  // Templates made before the app role existed hold tables without its grants: never reuse them.
  hash.update('owner-and-app-roles');
  return hash.digest('hex').slice(0, 12);
}

// Migrates one template database per set of migrations; every test database is a cheap clone of it.
// Nothing is dropped here: several test runs may share one server (CI is a fresh machine anyway).
export default async function setup(project: TestProject): Promise<void> {
  const env = readTestEnv();
  if (!existsSync(migrationsDir) || readdirSync(migrationsDir).length === 0) {
    project.provide('templateDatabase', '');
    return;
  }
  const template = `paddock_tpl_${migrationsFingerprint()}`;
  const admin = new pg.Client({ connectionString: env.DATABASE_ADMIN_URL });
  await admin.connect();
  try {
    // Concurrent test runs on one server (several developers' runs) build the template once, one at a time.
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [template]);
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (exists.rowCount === 0) {
      await admin.query(`DROP DATABASE IF EXISTS ${template}_building WITH (FORCE)`);
      // Owned by the owner role and migrated by it, as in production; clones inherit the app role's grants.
      const building = await createOwnedDatabase(`${template}_building`);
      const { runMigrations } = await import('@paddock/db/migrate');
      await runMigrations({ databaseUrl: building.ownerUrl, migrationsDir });
      await admin.query(`ALTER DATABASE ${template}_building RENAME TO ${template}`);
    }
  } finally {
    await admin.end();
  }
  project.provide('templateDatabase', template);
}
