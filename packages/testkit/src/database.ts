import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { dropTestDatabase } from './drop-database';
import { readTestEnv, roleOf } from './env';
import { grantAppRole } from './roles';

export interface TestDatabase {
  /** The app role's URL: what the API and workers would use (no DDL, no superuser). */
  url: string;
  /** The owner role's URL: migrations, ALTER DATABASE. */
  ownerUrl: string;
  /** The admin role's URL: for what only an administrator may do. */
  adminUrl: string;
  name: string;
  drop(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs SQL as the admin role on its own database (CREATE / DROP DATABASE). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: readTestEnv().DATABASE_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function urlsFor(name: string): Pick<TestDatabase, 'url' | 'ownerUrl' | 'adminUrl'> {
  const env = readTestEnv();
  return {
    url: withDatabase(env.DATABASE_URL, name),
    ownerUrl: withDatabase(env.DATABASE_OWNER_URL, name),
    adminUrl: withDatabase(env.DATABASE_ADMIN_URL, name),
  };
}

/** The owner role's name, quoted for SQL. */
export function ownerRoleSql(): string {
  return `"${roleOf(readTestEnv().DATABASE_OWNER_URL).replaceAll('"', '""')}"`;
}

/**
 * An empty database owned by the owner role, with the app role's grants in place (no tables yet): the start of a
 * template, a benchmark database or a migration test.
 */
export async function createOwnedDatabase(name: string): Promise<Pick<TestDatabase, 'url' | 'ownerUrl' | 'adminUrl'>> {
  const env = readTestEnv();
  await adminQuery(`CREATE DATABASE ${name} OWNER ${ownerRoleSql()}`);
  const urls = urlsFor(name);
  await grantAppRole(urls.adminUrl, { owner: roleOf(env.DATABASE_OWNER_URL), app: roleOf(env.DATABASE_URL) });
  return urls;
}

/** A fresh database cloned from the migrated template that global setup prepared: one per test file or test. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = inject('templateDatabase');
  if (!template) throw new Error('no migrated template database: prisma/migrations is empty');
  const name = `paddock_t_${randomBytes(6).toString('hex')}`;
  // The clone keeps the template's tables, grants and default privileges; the owner must be said again.
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template} OWNER ${ownerRoleSql()}`);
  return { name, ...urlsFor(name), drop: () => dropTestDatabase(name) };
}

/**
 * A fresh database migrated from scratch, for code that runs outside vitest (benchmarks): slower than a template
 * clone, but needs nothing from a test run's global setup.
 */
export async function createMigratedDatabase(prefix = 'paddock_b_'): Promise<TestDatabase> {
  const name = `${prefix}${randomBytes(6).toString('hex')}`;
  const drop = () => dropTestDatabase(name);
  try {
    const urls = await createOwnedDatabase(name);
    const { runMigrations } = await import('@paddock/db/migrate');
    await runMigrations({ databaseUrl: urls.ownerUrl });
    return { name, ...urls, drop };
  } catch (error) {
    await drop();
    throw error;
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}
