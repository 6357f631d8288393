import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@paddock/contracts';
import pg from 'pg';
import { parseDatabaseUrl } from './database-url';
import { defaultMigrationsDir, type MigrationFile, readMigrations } from './read-migrations';

export { checksumOf, defaultMigrationsDir, type MigrationFile, readMigrations } from './read-migrations';

/** Applied migrations, by name, with the checksum of the SQL that was applied. */
export const MIGRATIONS_TABLE = '_paddock_migrations';

// One constant key: advisory locks are per database, so migrating two databases never waits on each other.
const MIGRATION_LOCK_KEY = 7_306_979_181_624_177_000n;

export interface RunMigrationsOptions {
  databaseUrl: string;
  migrationsDir?: string;
  /** How long to wait for another process that is migrating the same database (default 10 minutes). */
  lockTimeoutMs?: number;
  log?: (line: string) => void;
}

/** The smallest part of pg's client/pool that the status check needs, so /readyz can pass its own pool. */
export interface Queryable {
  query(sql: string): Promise<{ rows: Array<Record<string, unknown>> }>;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied migrations whose file changed since: the database no longer matches the checkout. */
  modified: string[];
  /** Applied migrations this checkout does not have (the database is newer than the code). */
  unknown: string[];
}

interface AppliedRow {
  name: string;
  checksum: string;
}

function connect(databaseUrl: string): pg.Client {
  return new pg.Client({
    connectionString: parseDatabaseUrl(databaseUrl).connectionString,
    connectionTimeoutMillis: 10_000,
    application_name: 'paddock-migrate',
  });
}

async function readApplied(client: Queryable): Promise<AppliedRow[] | null> {
  const exists = await client.query(`SELECT to_regclass('public.${MIGRATIONS_TABLE}') IS NOT NULL AS present`);
  if (exists.rows[0]?.present !== true) return null;
  const result = await client.query(`SELECT name, checksum FROM ${MIGRATIONS_TABLE} ORDER BY name`);
  return result.rows.map((row) => ({ name: String(row.name), checksum: String(row.checksum) }));
}

function compare(files: MigrationFile[], applied: AppliedRow[]): MigrationStatus {
  const appliedByName = new Map(applied.map((row) => [row.name, row.checksum]));
  const fileNames = new Set(files.map((file) => file.name));
  return {
    applied: applied.map((row) => row.name).filter((name) => fileNames.has(name)),
    pending: files.filter((file) => !appliedByName.has(file.name)).map((file) => file.name),
    modified: files
      .filter((file) => appliedByName.has(file.name) && appliedByName.get(file.name) !== file.checksum)
      .map((file) => file.name),
    unknown: applied.map((row) => row.name).filter((name) => !fileNames.has(name)),
  };
}

function refuseMismatch(status: MigrationStatus, files: MigrationFile[]): void {
  const [modified] = status.modified;
  if (modified !== undefined) {
    const path = files.find((file) => file.name === modified)?.path;
    throw new AppError(
      'internal',
      `migration ${modified} was edited after it was applied to this database (checksum differs): ` +
        `restore ${path} and put the change in a new migration`,
      { details: status.modified.map((name) => ({ migration: name, message: 'checksum mismatch' })) },
    );
  }
  if (status.unknown.length > 0) {
    throw new AppError(
      'internal',
      `the database has migrations this checkout does not know (${status.unknown.join(', ')}): ` +
        'it was migrated by newer code; update this checkout before starting it',
      { details: status.unknown.map((name) => ({ migration: name, message: 'unknown migration' })) },
    );
  }
}

/** Where and what: PostgreSQL reports a character offset into the SQL, people want a line. */
function describeFailure(file: MigrationFile, error: unknown): AppError {
  const pgError = error as { message?: string; position?: string; code?: string };
  const offset = Number(pgError.position);
  const line = Number.isFinite(offset) && offset > 0 ? file.sql.slice(0, offset).split('\n').length : undefined;
  const where = line === undefined ? file.path : `${file.path}:${line}`;
  return new AppError('internal', `migration ${file.name} failed at ${where}: ${pgError.message ?? String(error)}`, {
    cause: error,
    details: [{ migration: file.name, path: where, message: pgError.message ?? String(error), sqlState: pgError.code }],
  });
}

async function acquireLock(client: pg.Client, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    const result = await client.query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY.toString()]);
    if (result.rows[0]?.locked === true) return;
    if (!announced) {
      log('migrate: another process is migrating this database; waiting for it');
      announced = true;
    }
    if (Date.now() > deadline) {
      throw new AppError('internal', `migrate: gave up after ${timeoutMs} ms waiting for another migrating process`);
    }
    await sleep(200);
  }
}

async function applyOne(client: pg.Client, file: MigrationFile): Promise<boolean> {
  const started = Date.now();
  if (!file.transactional) {
    try {
      await client.query(file.sql);
    } catch (error) {
      throw describeFailure(file, error);
    }
    await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (name, checksum, duration_ms) VALUES ($1, $2, $3)`, [
      file.name,
      file.checksum,
      Date.now() - started,
    ]);
    return true;
  }
  await client.query('BEGIN');
  try {
    // Checked again inside the transaction: the embedded PGlite server has one backend session for every
    // connection, so its advisory lock excludes nobody; this re-check (serialised by the transaction) does.
    const done = await client.query(`SELECT 1 FROM ${MIGRATIONS_TABLE} WHERE name = $1`, [file.name]);
    if (done.rowCount !== 0) {
      await client.query('ROLLBACK');
      return false;
    }
    try {
      await client.query(file.sql);
    } catch (error) {
      throw describeFailure(file, error);
    }
    await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (name, checksum, duration_ms) VALUES ($1, $2, $3)`, [
      file.name,
      file.checksum,
      Date.now() - started,
    ]);
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Applies every pending migration in name order, each in its own transaction, under an advisory lock so that
 * several processes starting at once migrate once. Refuses to run when an applied migration's file was edited.
 */
export async function runMigrations(options: RunMigrationsOptions): Promise<{ applied: string[] }> {
  const files = readMigrations(options.migrationsDir ?? defaultMigrationsDir);
  const log = options.log ?? (() => undefined);
  const client = connect(options.databaseUrl);
  await client.connect();
  let locked = false;
  try {
    await acquireLock(client, options.lockTimeoutMs ?? 600_000, log);
    locked = true;
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
         name text PRIMARY KEY,
         checksum char(64) NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now(),
         duration_ms integer NOT NULL
       )`,
    );
    // Default privileges give the app role write access to every table its owner makes, this one too: take the
    // writes back, so only migrations (the owner) record what was applied. /readyz still reads it.
    await client.query(
      `DO $$ DECLARE r record; BEGIN
         FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
                   WHERE table_schema = current_schema() AND table_name = '${MIGRATIONS_TABLE}'
                     AND privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') AND grantee <> current_user LOOP
           EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${MIGRATIONS_TABLE} FROM %I', r.grantee);
         END LOOP;
       END $$`,
    );
    const status = compare(files, (await readApplied(client)) ?? []);
    refuseMismatch(status, files);
    const applied: string[] = [];
    for (const file of files.filter((candidate) => status.pending.includes(candidate.name))) {
      const started = Date.now();
      if (await applyOne(client, file)) {
        applied.push(file.name);
        log(`migrate: applied ${file.name} in ${Date.now() - started} ms`);
      }
    }
    return { applied };
  } finally {
    if (locked) await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]).catch(() => {});
    await client.end();
  }
}

export type StatusSource =
  | { databaseUrl: string; migrationsDir?: string }
  | { client: Queryable; migrationsDir?: string };

/** Compares the checkout's migrations with the database's record of them, without changing anything. */
export async function migrationStatus(source: StatusSource): Promise<MigrationStatus> {
  const files = readMigrations(source.migrationsDir ?? defaultMigrationsDir);
  if ('client' in source) return compare(files, (await readApplied(source.client)) ?? []);
  const client = connect(source.databaseUrl);
  await client.connect();
  try {
    return compare(files, (await readApplied(client)) ?? []);
  } finally {
    await client.end();
  }
}

/**
 * Names of migrations not applied yet, for /readyz. An edited or unknown applied migration also makes the
 * database not ready, so it is reported (prefixed) rather than silently counted as fine.
 */
export async function pendingMigrations(source: StatusSource): Promise<string[]> {
  const status = await migrationStatus(source);
  return [
    ...status.pending,
    ...status.modified.map((name) => `${name} (edited after it was applied)`),
    ...status.unknown.map((name) => `${name} (unknown to this checkout)`),
  ];
}
