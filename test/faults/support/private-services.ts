import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readTestEnv } from '@paddock/testkit';
import { Redis } from 'ioredis';
import pg from 'pg';
import { waitFor } from '../../support/wait-for';

const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '../../..');

/**
 * PostgreSQL and Redis of a fault test's own, made by scripts/services.sh (the script `npm start` uses) on a fresh
 * data directory and free ports: a test that restarts them must never touch the shared test services other test
 * files use at the same time.
 */
export interface PrivateServices {
  dataDir: string;
  /** Set when PostgreSQL was asked for: migrated, with the app role's URL as `databaseUrl`. */
  databaseUrl: string;
  redisUrl: string;
  pgPort: number;
  redisPort: number;
  /** Stops PostgreSQL the hard way (`immediate`: no checkpoint, crash recovery at the next start). */
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  /** Redis killed by SIGKILL (nothing flushed at exit: only what the append-only file already holds survives). */
  killRedis(): Promise<void>;
  startRedis(): Promise<void>;
  close(): Promise<void>;
}

function randomPort(): number {
  return 30_000 + Math.floor(Math.random() * 10_000);
}

async function servicesScript(env: Record<string, string>): Promise<Record<string, string>> {
  const { stdout } = await run('bash', ['scripts/services.sh', '--fast'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    encoding: 'utf8',
  });
  const exports: Record<string, string> = {};
  for (const match of stdout.matchAll(/^export (\w+)='([^']*)'$/gm)) exports[match[1] ?? ''] = match[2] ?? '';
  return exports;
}

export async function startPrivateServices(want: { postgres?: boolean; redis?: boolean }): Promise<PrivateServices> {
  const dataDir = mkdtempSync(join(tmpdir(), 'paddock-faults-'));
  chmodSync(dataDir, 0o755); // the postgres user must reach the cluster inside
  const pgPort = randomPort();
  const redisPort = pgPort + 1;
  const shared = readTestEnv();
  const env: Record<string, string> = {
    PADDOCK_DATA_DIR: dataDir,
    PADDOCK_PG_PORT: String(pgPort),
    PADDOCK_REDIS_PORT: String(redisPort),
    // What is not asked for is the shared test service, passed through untouched.
    ...(want.postgres ? {} : { DATABASE_URL: shared.DATABASE_URL ?? '' }),
    ...(want.redis ? {} : { REDIS_URL: shared.REDIS_URL }),
  };
  const exports = await servicesScript(env);
  const bindir = exports.PADDOCK_PG_BINDIR ?? '';
  const cluster = join(dataDir, 'pg/cluster');
  const pgCtl = (...args: string[]) =>
    run('runuser', ['-u', 'postgres', '--', join(bindir, 'pg_ctl'), '-D', cluster, ...args], { encoding: 'utf8' });

  if (want.postgres) {
    await run('node', ['--import', 'tsx', 'packages/db/src/migrate-cli.ts'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: exports.DATABASE_URL ?? '',
        DATABASE_OWNER_URL: exports.DATABASE_OWNER_URL ?? '',
      },
    });
  }
  const redisPassword = want.redis
    ? /^redis_password=(\S+)$/m.exec(readFileSync(join(dataDir, 'redis/credentials.env'), 'utf8'))?.[1]
    : undefined;
  if (want.redis) {
    // Every write reaches the append-only file before Redis answers: a SIGKILL loses nothing acknowledged.
    await redisCommand(redisPort, redisPassword, ['CONFIG', 'SET', 'appendfsync', 'always']);
  }

  const services: PrivateServices = {
    dataDir,
    databaseUrl: exports.DATABASE_URL ?? '',
    redisUrl: exports.REDIS_URL ?? '',
    pgPort,
    redisPort,
    async stopPostgres() {
      await pgCtl('-m', 'immediate', '-w', 'stop');
    },
    async startPostgres() {
      // Through the script again: it starts the cluster with the settings it was made with.
      await servicesScript(env);
    },
    async killRedis() {
      const pid = Number(readFileSync(join(dataDir, 'redis/redis.pid'), 'utf8').trim());
      process.kill(pid, 'SIGKILL');
      await waitFor('Redis to be gone', async () => !isAlive(pid), 10_000);
    },
    async startRedis() {
      await servicesScript(env);
      await redisCommand(redisPort, redisPassword, ['CONFIG', 'SET', 'appendfsync', 'always']);
    },
    async close() {
      if (want.postgres) await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
      if (want.redis) await services.killRedis().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return services;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function redisCommand(port: number, password: string | undefined, args: string[]): Promise<void> {
  const client = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    await client.call(args[0] ?? 'PING', ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

/** A plain query on a URL (a fresh connection each time, so it works across restarts). */
export async function queryOnce<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}
