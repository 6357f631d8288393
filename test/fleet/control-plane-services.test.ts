import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_STEP } from '@paddock/contracts';
import {
  BoxChannel,
  bootstrapBox,
  boxServeCommand,
  buildRuntimeRelease,
  deployToBox,
  type SshPool,
  sh,
  sshTransport,
} from '@paddock/fleet';
import { connectTestRedis, createTestDatabase, readTestEnv, type TestDatabase } from '@paddock/testkit';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestFleet, type TestFleet } from './support/test-boxes';

// Local test boxes share this machine's network, so the control plane's own PostgreSQL and Redis are one connect()
// away from any chain step. A tenant's step tries every door it can find; each must ask for a password it cannot
// give, and nothing of the control plane's (a user's email, a queue key, a password) may come back.

const repoRoot = join(import.meta.dirname, '../..');
const marker = randomBytes(6).toString('hex');
const victimEmail = `victim-${marker}@example.com`;
const victimKey = `victim-queue-${marker}`;

let fleet: TestFleet;
let pool: SshPool;
let outDir: string;
let db: TestDatabase;
let redis: Redis;

beforeAll(async () => {
  db = await createTestDatabase();
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  try {
    const plan = await sql.query<{ id: string }>(
      `INSERT INTO plans (code, name, price_minor, provider) VALUES ('p', 'P', 0, 'local') RETURNING id`,
    );
    const tenant = await sql.query<{ id: string }>(
      `INSERT INTO tenants (slug, name, status, plan_id) VALUES ('victim', 'Victim', 'active', $1) RETURNING id`,
      [plan.rows[0]?.id],
    );
    await sql.query(`INSERT INTO users (tenant_id, email, role) VALUES ($1, $2, 'owner')`, [
      tenant.rows[0]?.id,
      victimEmail,
    ]);
  } finally {
    await sql.end();
  }
  redis = connectTestRedis();
  await redis.set(victimKey, 'tenant data');

  outDir = mkdtempSync(join(tmpdir(), 'paddock-cp-services-'));
  fleet = await createTestFleet(1);
  pool = fleet.pool();
  const release = await buildRuntimeRelease({
    runtimeDir: join(repoRoot, 'packages/runtime'),
    outDir: join(outDir, 'rt-cp'),
    version: 'rt-cp',
    node: { kind: 'system' },
  });
  const target = fleet.target(fleet.boxes[0]!);
  await bootstrapBox({ pool, target, systemNode: true });
  const deployed = await deployToBox({ pool, target, release, deployId: 'cp-services' });
  expect(deployed.outcome).toBe('succeeded');
});

afterAll(async () => {
  await redis?.del(victimKey);
  redis?.disconnect();
  await fleet?.destroy();
  await db?.drop();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

/** The attacker's step: every attempt in its own section, `== name` first. Plain /bin/sh, as chain steps run. */
function attackScript(pgPort: string, redisPort: string, database: string): string {
  const lines: string[] = ['export PGCONNECT_TIMEOUT=5'];
  let n = 0;
  for (const user of ['paddock', 'paddock_app', 'paddock_owner', 'postgres']) {
    for (const dbName of [database, 'paddock', 'postgres']) {
      lines.push(`echo "== psql-${++n} no password ${user}@${dbName}"`);
      lines.push(
        `psql -w -h 127.0.0.1 -p ${pgPort} -U ${user} -d ${dbName} -tAc 'select email from users' 2>&1 </dev/null`,
      );
      for (const guess of ['paddock', 'postgres']) {
        lines.push(`echo "== psql-${++n} guess ${guess} ${user}@${dbName}"`);
        lines.push(
          `PGPASSWORD=${guess} psql -w -h 127.0.0.1 -p ${pgPort} -U ${user} -d ${dbName} -tAc 'select email from users' 2>&1 </dev/null`,
        );
      }
    }
  }
  lines.push(
    '== redis-ping',
    `redis-cli -h 127.0.0.1 -p ${redisPort} PING 2>&1 </dev/null`,
    '== redis-keys',
    `redis-cli -h 127.0.0.1 -p ${redisPort} KEYS '*' 2>&1 </dev/null`,
    '== redis-guess',
    `REDISCLI_AUTH=paddock redis-cli --no-auth-warning -h 127.0.0.1 -p ${redisPort} KEYS '*' 2>&1 </dev/null`,
    // Raw sockets, no client library: the Redis protocol inline, then a PostgreSQL startup and a query.
    '== raw-redis',
    `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${redisPort}; printf "KEYS *\\r\\nGET ${victimKey}\\r\\nQUIT\\r\\n" >&3; timeout 5 cat <&3' 2>&1`,
    '== raw-postgres',
    `node - ${pgPort} ${database} <<'JS' 2>&1`,
    ...rawPostgresClient,
    'JS',
    // The credentials kept beside the data: the runtime user must not read them.
    '== credential-files',
    `cat ${repoRoot}/.data/test/pg/credentials.env ${repoRoot}/.data/test/redis/credentials.env ${repoRoot}/.data/test/redis/redis.conf ${repoRoot}/.data/pg/credentials.env ${repoRoot}/.data/redis/credentials.env 2>&1`,
    'exit 0',
  );
  // `echo "== ..."` for the sections written bare above.
  return lines.map((line) => (line.startsWith('== ') ? `echo "${line}"` : line)).join('\n');
}

/** Sends a StartupMessage for user paddock, then a query without authenticating; prints what came back, printable bytes only. */
const rawPostgresClient = [
  "const net = require('node:net');",
  'const [port, database] = process.argv.slice(2);',
  "const params = Buffer.from('user\\0paddock\\0database\\0' + database + '\\0\\0');",
  'const startup = Buffer.alloc(8 + params.length);',
  'startup.writeInt32BE(startup.length, 0); startup.writeInt32BE(196608, 4); params.copy(startup, 8);',
  "const sql = Buffer.from('select email from users\\0');",
  "const query = Buffer.concat([Buffer.from('Q'), Buffer.alloc(4), sql]); query.writeInt32BE(sql.length + 4, 1);",
  "const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(startup));",
  'let sentQuery = false; const seen = [];',
  // Whatever the server answered (AuthenticationOk under trust, a challenge otherwise), the query goes next.
  "socket.on('data', (chunk) => { seen.push(chunk); if (!sentQuery) { sentQuery = true; socket.write(query); } });",
  "socket.on('close', () => { console.log(Buffer.concat(seen).toString('latin1').replace(/[^\\x20-\\x7e]/g, '.')); });",
  "socket.on('error', (e) => console.log('socket error', e.message));",
  'setTimeout(() => socket.destroy(), 5000).unref();',
];

async function runOnBox(runId: string, script: string): Promise<string> {
  const box = fleet.boxes[0]!;
  const channel = new BoxChannel({ boxId: box.id, open: sshTransport(pool, fleet.target(box), boxServeCommand()) });
  try {
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const subscription = await channel.subscribe({
      resumeFrom: () => undefined,
      onEvent: (event) => {
        if (event.run_id === runId && event.step === RUN_STEP && event.kind === 'finished') finish();
      },
    });
    const indented = script
      .split('\n')
      .map((line) => `      ${line}`)
      .join('\n');
    const text = `name: probe\nagents:\n  probe:\n    run: |\n${indented}\n`;
    await channel.request({ op: 'run', text, inputs: {}, run_id: runId });
    await finished;
    await subscription.close();
    const connection = await pool.connect(fleet.target(box));
    const output = await connection.exec(sh`cat /var/lib/paddock/runs/${runId}/steps/probe/output`);
    return output.stdout;
  } finally {
    await channel.close();
  }
}

function sections(output: string): Map<string, string> {
  const map = new Map<string, string>();
  let current = '';
  for (const line of output.split(/\r?\n/)) {
    if (line.startsWith('== ')) {
      current = line.slice(3);
      map.set(current, '');
    } else if (current) map.set(current, `${map.get(current) ?? ''}${line}\n`);
  }
  return map;
}

describe("a tenant's step on a local box against the control plane's own services", () => {
  it('is asked for a password by PostgreSQL and Redis on every path, and gets no data', async () => {
    const env = readTestEnv();
    const pgPort = new URL(env.DATABASE_URL).port;
    const redisPort = new URL(env.REDIS_URL).port;
    const output = await runOnBox('cp-attack', attackScript(pgPort, redisPort, db.name));
    const parts = sections(output);

    // Nothing of the control plane's came back, anywhere in the step's output.
    expect(output).not.toContain(victimEmail);
    expect(output).not.toContain(victimKey.replace('victim-queue-', ''));
    for (const url of [env.DATABASE_URL, env.REDIS_URL]) {
      const password = decodeURIComponent(new URL(url).password);
      if (password) expect(output).not.toContain(password);
    }

    const psql = [...parts].filter(([name]) => name.startsWith('psql-'));
    expect(psql.length).toBe(36);
    for (const [name, text] of psql) {
      // Either no password to give, or a wrong one: never a connection.
      expect(text, name).toMatch(/fe_sendauth: no password supplied|password authentication failed/);
    }
    for (const name of ['redis-ping', 'redis-keys', 'raw-redis']) {
      expect(parts.get(name), name).toMatch(/NOAUTH Authentication required/);
      expect(parts.get(name), name).not.toMatch(/PONG/);
    }
    expect(parts.get('redis-guess')).toMatch(/WRONGPASS|invalid username-password|NOAUTH/);
    // The raw client was challenged (AuthenticationSASL names the mechanism) and never let in.
    expect(parts.get('raw-postgres')).toContain('SCRAM-SHA-256');
    expect(parts.get('raw-postgres')).not.toMatch(/SELECT \d|DataRow/);
    expect(parts.get('credential-files')).not.toMatch(/password=/);
  });

  it("gives the app role no way to become the server's administrator", async () => {
    const app = new pg.Client({ connectionString: db.url });
    await app.connect();
    try {
      const role = await app.query<{ rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean }>(
        'SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user',
      );
      expect(role.rows).toEqual([{ rolsuper: false, rolcreaterole: false, rolcreatedb: false }]);
      // COPY ... TO PROGRAM would be a shell on the control plane's host.
      const proof = join(outDir, `copy-to-program-${marker}`);
      await expect(app.query(`COPY (SELECT 1) TO PROGRAM 'touch ${proof}'`)).rejects.toThrow(
        /must be superuser|privileges of the pg_execute_server_program/,
      );
      expect(existsSync(proof)).toBe(false);
      await expect(app.query(`CREATE ROLE intruder_${marker} LOGIN`)).rejects.toThrow(/permission denied/);
      await expect(app.query(`CREATE ROLE intruder_${marker} SUPERUSER`)).rejects.toThrow(/must be superuser/);
      await expect(app.query('ALTER ROLE current_user SUPERUSER')).rejects.toThrow(
        /permission denied|must be superuser/,
      );
      await expect(app.query("SELECT pg_read_file('/etc/passwd')")).rejects.toThrow(/permission denied/);
      await expect(app.query('SELECT rolpassword FROM pg_authid')).rejects.toThrow(/permission denied/);
      await expect(app.query('CREATE TABLE intruder (id int)')).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
  });
});
