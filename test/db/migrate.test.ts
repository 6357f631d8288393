import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MIGRATIONS_TABLE,
  migrationStatus,
  pendingMigrations,
  readMigrations,
  runMigrations,
} from '@paddock/db/migrate';
import { createEmptyDatabase, type EmptyDatabase, queryRows, writeMigration, writeMigrationsDir } from './db-support';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function emptyDatabase(): Promise<EmptyDatabase> {
  const db = await createEmptyDatabase();
  cleanups.push(() => db.drop());
  return db;
}

function migrationsDir(migrations: Record<string, string>): string {
  const created = writeMigrationsDir(migrations);
  cleanups.push(created.remove);
  return created.dir;
}

async function tableNames(url: string): Promise<string[]> {
  const rows = await queryRows<{ table_name: string }>(
    url,
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
  );
  return rows.map((row) => row.table_name);
}

describe('runMigrations', () => {
  it('leaves the app role the rows of every table a later migration creates, and no say over the schema', async () => {
    const db = await emptyDatabase();
    // Default privileges, not a list of tables: a table nobody has heard of yet is covered.
    const dir = migrationsDir({ '20260101000000_later': 'CREATE TABLE later (id serial PRIMARY KEY, note text);' });
    await runMigrations({ databaseUrl: db.url, migrationsDir: dir });
    await queryRows(db.appUrl, "INSERT INTO later (note) VALUES ('x')");
    await queryRows(db.appUrl, "UPDATE later SET note = 'y'");
    expect(await queryRows(db.appUrl, 'SELECT id, note FROM later')).toEqual([{ id: 1, note: 'y' }]);
    await queryRows(db.appUrl, 'DELETE FROM later');
    await expect(queryRows(db.appUrl, 'CREATE TABLE mine (id int)')).rejects.toThrow(/permission denied for schema/);
    await expect(queryRows(db.appUrl, 'DROP TABLE later')).rejects.toThrow(/must be owner of table later/);
    await expect(queryRows(db.appUrl, 'TRUNCATE later')).rejects.toThrow(/permission denied for table later/);
    // The record of applied migrations is read by /readyz as the app role, and written only by migrations.
    expect(await pendingMigrations({ databaseUrl: db.appUrl, migrationsDir: dir })).toEqual([]);
    await expect(queryRows(db.appUrl, `DELETE FROM ${MIGRATIONS_TABLE}`)).rejects.toThrow(/permission denied/);
  });

  it("applies the project's migrations to an empty database, then finds nothing to do", async () => {
    const db = await emptyDatabase();
    const all = readMigrations().map((file) => file.name);
    expect(await pendingMigrations({ databaseUrl: db.url })).toEqual(all);

    expect(await runMigrations({ databaseUrl: db.url })).toEqual({ applied: all });
    expect(await tableNames(db.url)).toEqual(expect.arrayContaining(['tenants', 'usage_events', MIGRATIONS_TABLE]));
    expect(await pendingMigrations({ databaseUrl: db.url })).toEqual([]);

    expect(await runMigrations({ databaseUrl: db.url })).toEqual({ applied: [] });
    const records = await queryRows<{ name: string }>(db.url, `SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY name`);
    expect(records.map((row) => row.name)).toEqual(all);
  });

  it('lets two processes start at once: each migration is applied exactly once', async () => {
    const db = await emptyDatabase();
    // The sleep keeps the first runner inside its migration while the second one arrives.
    const dir = migrationsDir({
      '20260101000000_slow': 'SELECT pg_sleep(0.5); CREATE TABLE counted (n int);',
      '20260101000001_insert': 'INSERT INTO counted VALUES (1);',
    });
    const [first, second] = await Promise.all([
      runMigrations({ databaseUrl: db.url, migrationsDir: dir }),
      runMigrations({ databaseUrl: db.url, migrationsDir: dir }),
    ]);
    expect([...first.applied, ...second.applied].sort()).toEqual(['20260101000000_slow', '20260101000001_insert']);
    expect(await queryRows(db.url, 'SELECT n FROM counted')).toEqual([{ n: 1 }]);
  });

  it('refuses to run when an applied migration was edited, naming it, and applies nothing else', async () => {
    const db = await emptyDatabase();
    const dir = migrationsDir({ '20260101000000_first': 'CREATE TABLE first (id int);' });
    await runMigrations({ databaseUrl: db.url, migrationsDir: dir });

    writeMigration(dir, '20260101000000_first', 'CREATE TABLE first (id bigint);');
    writeMigration(dir, '20260101000001_second', 'CREATE TABLE second (id int);');
    await expect(runMigrations({ databaseUrl: db.url, migrationsDir: dir })).rejects.toThrow(
      /migration 20260101000000_first was edited after it was applied/,
    );
    expect(await tableNames(db.url)).not.toContain('second');
    const status = await migrationStatus({ databaseUrl: db.url, migrationsDir: dir });
    expect(status).toEqual({
      applied: ['20260101000000_first'],
      pending: ['20260101000001_second'],
      modified: ['20260101000000_first'],
      unknown: [],
    });
    expect(await pendingMigrations({ databaseUrl: db.url, migrationsDir: dir })).toContain(
      '20260101000000_first (edited after it was applied)',
    );
  });

  it('treats CRLF line endings as the same migration', async () => {
    const db = await emptyDatabase();
    const dir = migrationsDir({ '20260101000000_first': 'CREATE TABLE first (id int);\nSELECT 1;\n' });
    await runMigrations({ databaseUrl: db.url, migrationsDir: dir });
    writeMigration(dir, '20260101000000_first', 'CREATE TABLE first (id int);\r\nSELECT 1;\r\n');
    expect(await runMigrations({ databaseUrl: db.url, migrationsDir: dir })).toEqual({ applied: [] });
  });

  it('rolls a failing migration back entirely and reports file and line', async () => {
    const db = await emptyDatabase();
    const dir = migrationsDir({
      '20260101000000_good': 'CREATE TABLE good (id int);',
      '20260101000001_bad': 'CREATE TABLE half (id int);\n\nINSERT INTO nowhere VALUES (1);\n',
      '20260101000002_after': 'CREATE TABLE after (id int);',
    });
    const failure = runMigrations({ databaseUrl: db.url, migrationsDir: dir });
    await expect(failure).rejects.toThrow(
      /migration 20260101000001_bad failed at .*20260101000001_bad\/migration\.sql:3: .*nowhere/,
    );
    const tables = await tableNames(db.url);
    expect(tables).toContain('good');
    expect(tables).not.toContain('half');
    expect(tables).not.toContain('after');
    expect(await pendingMigrations({ databaseUrl: db.url, migrationsDir: dir })).toEqual([
      '20260101000001_bad',
      '20260101000002_after',
    ]);
  });

  it('refuses a database migrated by a newer checkout', async () => {
    const db = await emptyDatabase();
    const dir = migrationsDir({
      '20260101000000_a': 'CREATE TABLE a (id int);',
      '20260101000001_b': 'CREATE TABLE b (id int);',
    });
    await runMigrations({ databaseUrl: db.url, migrationsDir: dir });
    rmSync(join(dir, '20260101000001_b'), { recursive: true });
    await expect(runMigrations({ databaseUrl: db.url, migrationsDir: dir })).rejects.toThrow(
      /does not know \(20260101000001_b\)/,
    );
  });

  it('runs a migration marked no-transaction outside a transaction (CREATE INDEX CONCURRENTLY)', async () => {
    const db = await emptyDatabase();
    const dir = migrationsDir({
      '20260101000000_table': 'CREATE TABLE t (id int);',
      '20260101000001_index': '-- paddock:no-transaction\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);',
    });
    expect((await runMigrations({ databaseUrl: db.url, migrationsDir: dir })).applied).toHaveLength(2);
    const indexes = await queryRows(db.url, "SELECT indexname FROM pg_indexes WHERE tablename = 't'");
    expect(indexes).toEqual([{ indexname: 't_id_idx' }]);
  });

  it('rejects a badly named migration directory before touching the database', async () => {
    const dir = migrationsDir({ 'add-users': 'SELECT 1;' });
    await expect(
      runMigrations({ databaseUrl: 'postgresql://nobody@127.0.0.1:1/none', migrationsDir: dir }),
    ).rejects.toThrow(/"add-users" must be named <14-digit UTC timestamp>_<snake_name>/);
  });

  it('reports status through a caller-owned client (the /readyz path)', async () => {
    const db = await emptyDatabase();
    await runMigrations({ databaseUrl: db.url });
    const client = { query: async (sql: string) => ({ rows: await queryRows(db.url, sql) }) };
    expect(await pendingMigrations({ client })).toEqual([]);
  });
});
