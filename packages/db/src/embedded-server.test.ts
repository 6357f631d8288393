import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient } from './client';
import { findSchemaDrift } from './drift/find-schema-drift';
import { type EmbeddedServer, startEmbeddedServer } from './embedded-server';
import { pendingMigrations, readMigrations, runMigrations } from './migrate';

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, query_timeout: 20_000 });
  await client.connect();
  return client;
}

/** The URL with another password, or none. */
function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

/** Everything the server sends on a raw socket until it closes it, after we sent `messages`. */
function rawExchange(port: number, messages: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connectTcp(port, '127.0.0.1', () => {
      for (const message of messages) socket.write(message);
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

function startupMessage(user: string): Buffer {
  const body = Buffer.from(`user\0${user}\0database\0postgres\0\0`);
  const header = Buffer.alloc(8);
  header.writeInt32BE(body.length + 8, 0);
  header.writeInt32BE(196_608, 4);
  return Buffer.concat([header, body]);
}

function simpleQuery(sql: string): Buffer {
  const body = Buffer.from(`${sql}\0`);
  const header = Buffer.alloc(5);
  header.write('Q', 0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

describe('embedded PostgreSQL (PGlite over the wire protocol)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paddock-pglite-'));
  const password = randomBytes(16).toString('hex');
  let server: EmbeddedServer;
  // One server for every test (PGlite takes seconds to start); the tests run in order and the last restarts it.
  beforeAll(async () => {
    server = await startEmbeddedServer({
      dataDir,
      port: 0,
      password,
      maxConnections: 8,
      idleInTransactionTimeoutMs: 2_000,
      authenticationTimeoutMs: 1_000,
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('takes the migrations and serves Prisma', async () => {
    const { applied } = await runMigrations({ databaseUrl: server.url });
    expect(applied).toEqual(readMigrations().map((file) => file.name));
    expect(await pendingMigrations({ databaseUrl: server.url })).toEqual([]);
    // The same SQL builds the same schema on PGlite as on PostgreSQL.
    expect(await findSchemaDrift({ databaseUrl: server.url })).toEqual([]);

    const prisma = createPrismaClient(`${server.url}?connection_limit=2`);
    try {
      const plan = await prisma.plan.create({
        data: { code: 'embedded', name: 'Embedded', priceMinor: 1_900, provider: 'local' },
      });
      await prisma.$transaction(async (tx) => {
        const tenant = await tx.tenant.create({ data: { slug: 'acme', name: 'Acme', planId: plan.id } });
        await tx.user.create({ data: { email: 'owner@acme.test', role: 'owner', tenantId: tenant.id } });
      });
      const tenant = await prisma.tenant.findUniqueOrThrow({
        where: { slug: 'acme' },
        include: { plan: true, users: true },
      });
      expect(tenant.plan.priceMinor).toBe(1_900);
      expect(tenant.users.map((user) => user.email)).toEqual(['owner@acme.test']);
      // Constraints hold here too: the CHECK on lower-case emails.
      await expect(
        prisma.user.create({ data: { email: 'Upper@acme.test', role: 'member', tenantId: tenant.id } }),
      ).rejects.toThrow();
    } finally {
      await prisma.$disconnect();
    }
  });

  it('keeps concurrent connections apart: extended-protocol queries, errors and transactions interleave safely', async () => {
    const setup = await connect(server.url);
    await setup.query('CREATE TABLE mux (client int, n int)');
    await setup.end();
    const clients = 5;
    const rounds = 40;
    const results = await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const client = await connect(server.url);
        const seen: number[] = [];
        try {
          for (let i = 0; i < rounds; i++) {
            if (i % 7 === 3) {
              // A failing statement in one connection must not disturb the others' statements.
              await expect(client.query(`SELECT 1 / $1::int AS boom${c}`, [0])).rejects.toThrow(/division by zero/);
              continue;
            }
            await client.query('BEGIN');
            await client.query('INSERT INTO mux VALUES ($1, $2)', [c, i]);
            // A column name of its own: a statement mixed up with another client's would come back renamed.
            const row = await client.query(`SELECT count(*)::int AS seen${c} FROM mux WHERE client = $1`, [c]);
            seen.push(row.rows[0]?.[`seen${c}`]);
            if (i % 5 === 0) await client.query('ROLLBACK');
            else await client.query('COMMIT');
          }
          const final = await client.query('SELECT count(*)::int AS n FROM mux WHERE client = $1', [c]);
          return { seen, final: final.rows[0]?.n as number };
        } finally {
          await client.end();
        }
      }),
    );
    const rolledBack = (i: number) => i % 5 === 0;
    const inserted = Array.from({ length: rounds }, (_, i) => i).filter((i) => i % 7 !== 3);
    for (const result of results) {
      // Each transaction sees its own committed rows plus its own insert, never another client's.
      let committed = 0;
      expect(result.seen).toEqual(
        inserted.map((i) => {
          const visible = committed + 1;
          if (!rolledBack(i)) committed++;
          return visible;
        }),
      );
      expect(result.final).toBe(inserted.filter((i) => !rolledBack(i)).length);
    }
  });

  it('asks for the password (SCRAM-SHA-256): a wrong one, none, or another user is refused; the right one works', async () => {
    await expect(connect(withPassword(server.url, 'paddock'))).rejects.toThrow(
      /password authentication failed for user "postgres"/,
    );
    await expect(connect(withPassword(server.url, `${password}x`))).rejects.toThrow(/password authentication failed/);
    // node-postgres will not even start SCRAM without a password (psql says "no password supplied"), and leaves
    // its socket open: the server closes it once the authentication time is up.
    const silent = new pg.Client({ connectionString: withPassword(server.url, '') });
    const silentClosed = new Promise<void>((resolve) => silent.on('end', () => resolve()));
    await expect(silent.connect()).rejects.toThrow(/password/);
    await silentClosed;
    const otherUser = new URL(server.url);
    otherUser.username = 'paddock';
    await expect(connect(otherUser.toString())).rejects.toThrow(/password authentication failed for user "paddock"/);

    // A raw client that skips authentication and sends a query gets the challenge, then a FATAL, never a row.
    const reply = await rawExchange(server.port, [startupMessage('postgres'), simpleQuery('SELECT 4242 AS secret')]);
    expect(reply.subarray(0, 1).toString()).toBe('R');
    expect(reply.readInt32BE(5)).toBe(10); // AuthenticationSASL
    expect(reply.toString()).toContain('SCRAM-SHA-256');
    expect(reply.toString()).toContain('28P01');
    expect(reply.toString()).not.toContain('4242');
    const garbage = await rawExchange(server.port, [simpleQuery('SELECT 4242 AS secret')]);
    expect(garbage.toString()).toContain('FATAL');
    expect(garbage.toString()).not.toContain('4242');

    // The refusals left the shared session in order: the right password still works.
    const client = await connect(server.url);
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client.end();
  });

  it('rolls back what a vanished client left open and lets the others go on', async () => {
    const setup = await connect(server.url);
    await setup.query('CREATE TABLE vanish (id int)');
    const quitter = await connect(server.url);
    await quitter.query('BEGIN');
    await quitter.query('INSERT INTO vanish VALUES (1)');
    // Killed mid-transaction, without a Terminate message.
    (quitter as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await quitter.end().catch(() => undefined);
    const rows = await setup.query('SELECT count(*)::int AS n FROM vanish');
    expect(rows.rows[0]?.n).toBe(0);
    await setup.end();
  });

  it('cuts off a connection idling inside a transaction while others wait', async () => {
    const idler = await connect(server.url);
    idler.on('error', () => undefined);
    await idler.query('BEGIN');
    await idler.query('CREATE TABLE idle_t (id int)');
    const other = await connect(server.url);
    // Waits for the idler's turn to end, then runs outside its (rolled back) transaction.
    const result = await other.query("SELECT to_regclass('idle_t') IS NULL AS gone");
    expect(result.rows[0]?.gone).toBe(true);
    await expect(idler.query('SELECT 1')).rejects.toThrow();
    await other.end();
  });

  it('refuses connections beyond its limit with PostgreSQL’s own error', async () => {
    const open = await Promise.all(Array.from({ length: 8 }, () => connect(server.url)));
    try {
      await expect(connect(server.url)).rejects.toThrow(/too many clients already \(the embedded server allows 8\)/);
      expect((await open[0]?.query('SELECT 1 AS one'))?.rows).toEqual([{ one: 1 }]);
    } finally {
      await Promise.all(open.map((client) => client.end()));
    }
  });

  it('binds loopback addresses only', async () => {
    await expect(startEmbeddedServer({ dataDir: 'memory://', port: 0, host: '0.0.0.0', password })).rejects.toThrow(
      /loopback addresses only/,
    );
  });

  it('refuses a second server on its directory, and keeps the data across a restart', async () => {
    await expect(startEmbeddedServer({ dataDir, port: 0, password })).rejects.toThrow(/is in use by process/);
    await server.stop();
    server = await startEmbeddedServer({ dataDir, port: 0, password });
    expect(await pendingMigrations({ databaseUrl: server.url })).toEqual([]);
    const prisma = createPrismaClient(`${server.url}?connection_limit=1`);
    try {
      expect((await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } })).name).toBe('Acme');
    } finally {
      await prisma.$disconnect();
    }
  });
});
