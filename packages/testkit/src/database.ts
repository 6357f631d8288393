import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { readTestEnv } from './env';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: readTestEnv().DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database cloned from the migrated template that global setup prepared: one per test file or test. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = inject('templateDatabase');
  if (!template) throw new Error('no migrated template database: prisma/migrations is empty');
  const name = `paddock_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  return {
    name,
    url: withDatabase(readTestEnv().DATABASE_URL, name),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/**
 * A fresh database migrated from scratch, for code that runs outside vitest (benchmarks): slower than a template
 * clone, but needs nothing from a test run's global setup.
 */
export async function createMigratedDatabase(prefix = 'paddock_b_'): Promise<TestDatabase> {
  const name = `${prefix}${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = withDatabase(readTestEnv().DATABASE_URL, name);
  const drop = () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  try {
    const { runMigrations } = await import('@paddock/db/migrate');
    await runMigrations({ databaseUrl: url });
  } catch (error) {
    await drop();
    throw error;
  }
  return { name, url, drop };
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}
