import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTestEnv } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

// scripts/services.sh as `npm start` runs it (durable, passwords), on a data directory of its own; REDIS_URL is the
// test run's, so only PostgreSQL is started here.
const repoRoot = join(import.meta.dirname, '../..');
const clusters: { bin: string; dir: string }[] = [];
const dirs: string[] = [];

function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-services-'));
  chmodSync(dir, 0o755); // the postgres user must reach the cluster inside
  dirs.push(dir);
  return dir;
}

function runServices(data: string, port: number): Record<string, string> {
  const out = execFileSync('bash', ['scripts/services.sh'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      PADDOCK_DATA_DIR: data,
      PADDOCK_PG_PORT: String(port),
      REDIS_URL: readTestEnv().REDIS_URL,
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exports: Record<string, string> = {};
  for (const match of out.matchAll(/^export (\w+)='([^']*)'$/gm)) exports[match[1] ?? ''] = match[2] ?? '';
  if (exports.PADDOCK_PG_BINDIR) clusters.push({ bin: exports.PADDOCK_PG_BINDIR, dir: join(data, 'pg/cluster') });
  return exports;
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query(sql)).rows as T[];
  } finally {
    // Also after a refused connect: node-postgres leaves that socket open otherwise.
    await client.end().catch(() => undefined);
  }
}

afterAll(() => {
  for (const { bin, dir } of clusters) {
    try {
      execFileSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', dir, '-m', 'immediate', 'stop'], {
        stdio: 'ignore',
      });
    } catch {
      // Stopped already (each cluster is listed once per run of the script).
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('services.sh for npm start', () => {
  it('makes a durable cluster that asks every role for its password, and prints the same lines again', async () => {
    const data = freshDataDir();
    const port = 20_000 + Math.floor(Math.random() * 5_000);
    const env = runServices(data, port);
    expect(statSync(join(data, 'pg/credentials.env')).mode & 0o777).toBe(0o600);
    const app = env.DATABASE_URL ?? '';
    expect(new URL(app).username).toBe('paddock_app');
    expect(new URL(app).password).toMatch(/^[0-9a-f]{32}$/);
    const settings = await query<{ fsync: string; fpw: string; sync: string; superuser: boolean }>(
      app,
      `SELECT current_setting('fsync') AS fsync, current_setting('full_page_writes') AS fpw,
              current_setting('synchronous_commit') AS sync, rolsuper AS superuser
         FROM pg_roles WHERE rolname = current_user`,
    );
    expect(settings).toEqual([{ fsync: 'on', fpw: 'on', sync: 'on', superuser: false }]);
    for (const user of ['paddock_app', 'paddock_owner', 'paddock_admin', 'paddock']) {
      await expect(query(`postgresql://${user}:paddock@127.0.0.1:${port}/paddock`, 'SELECT 1')).rejects.toThrow(
        /password authentication failed/,
      );
    }
    expect(runServices(data, port)).toEqual(env);
  });

  it('secures a cluster an older checkout made without passwords, keeping its data', async () => {
    const data = freshDataDir();
    const port = 25_000 + Math.floor(Math.random() * 5_000);
    const bin = readTestEnv().PADDOCK_PG_BINDIR;
    if (!bin) throw new Error('PADDOCK_PG_BINDIR is not set: run the tests with `npm test`, which starts PostgreSQL');
    const cluster = join(data, 'pg/cluster');
    const asPostgres = (args: string[]) =>
      execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'ignore' });
    execFileSync('mkdir', ['-p', join(data, 'pg/run')]);
    execFileSync('chown', ['-R', 'postgres', join(data, 'pg')]);
    // What the older services.sh did: trust, superuser `paddock`, fsync off.
    asPostgres([join(bin, 'initdb'), '-D', cluster, '-U', 'paddock', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
    clusters.push({ bin, dir: cluster });
    const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${join(data, 'pg/run')} -c fsync=off`;
    asPostgres([join(bin, 'pg_ctl'), '-D', cluster, '-l', join(data, 'pg/postgres.log'), '-w', '-o', options, 'start']);
    const legacy = `postgresql://paddock@127.0.0.1:${port}`;
    await query(`${legacy}/postgres`, 'CREATE DATABASE paddock');
    await query(`${legacy}/paddock`, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('from before')");

    const env = runServices(data, port);
    await expect(query(`${legacy}/paddock`, 'SELECT 1')).rejects.toThrow(/password/);
    expect(await query(env.DATABASE_URL ?? '', 'SELECT note FROM kept')).toEqual([{ note: 'from before' }]);
    expect(await query(env.DATABASE_URL ?? '', "SELECT current_setting('fsync') AS fsync")).toEqual([{ fsync: 'on' }]);
    const owners = await query<{ tableowner: string }>(
      env.DATABASE_OWNER_URL ?? '',
      "SELECT tableowner FROM pg_tables WHERE tablename = 'kept'",
    );
    expect(owners).toEqual([{ tableowner: 'paddock_owner' }]);
  });
});
