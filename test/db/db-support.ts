import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminQuery, createOwnedDatabase } from '@paddock/testkit';
import pg from 'pg';

// Helpers for this package's tests only (migrations need empty databases, not testkit's migrated clones).

export interface EmptyDatabase {
  /** The owner role's URL: migrations run with it, as `npm run migrate` does. */
  url: string;
  /** The app role's URL: what the API and workers would connect with. */
  appUrl: string;
  drop(): Promise<void>;
}

/** An empty database owned by the owner role, the app role's default privileges in place. */
export async function createEmptyDatabase(): Promise<EmptyDatabase> {
  const name = `paddock_m_${randomBytes(6).toString('hex')}`;
  const urls = await createOwnedDatabase(name);
  return {
    url: urls.ownerUrl,
    appUrl: urls.url,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

export async function queryRows<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A throwaway migrations directory: `{ '20260101000000_a': 'CREATE TABLE ...' }`. */
export function writeMigrationsDir(migrations: Record<string, string>): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-migrations-'));
  for (const [name, sql] of Object.entries(migrations)) writeMigration(dir, name, sql);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeMigration(dir: string, name: string, sql: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'migration.sql'), sql);
}
