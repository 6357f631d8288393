// Embedded PostgreSQL for `npm start` on a machine without PostgreSQL: PGlite (PostgreSQL compiled to WebAssembly,
// data in a directory) served over the PostgreSQL wire protocol on a loopback port, so the apps, Prisma and the
// migration runner use it through the same DATABASE_URL as a real server. Tests always use real PostgreSQL.
//
//   node --import tsx packages/db/src/embedded-server.ts --dir .data/pglite --port 54330 --password-file <file>
//
// Every connection must prove it knows the password (SCRAM-SHA-256, see embedded/password-gate.ts): the server is
// on loopback, but local test boxes share this machine's network. The user is `postgres`, PGlite's only role.
//
// Constraints (PGlite is ONE backend session shared by every connection):
// - Work is serialised: one connection's simple query, Parse..Sync batch or whole transaction runs at a time; the
//   others wait their turn (see embedded/session-multiplexer.ts). Many connections are fine (default up to 32),
//   but they do not run in parallel: keep pools small (`?connection_limit=1` or 2 per process) and transactions
//   short. A connection idle inside a transaction while others wait is cut off after 30 s.
// - Session state is shared: SET, advisory locks (re-entrant for everyone, so they exclude nobody), prepared
//   statement names and LISTEN/NOTIFY are not per connection. The migration runner and seeds re-check their work
//   inside transactions for this reason; do not rely on session-level state with this server.
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';
import { AppError, isAppError } from '@paddock/contracts';
import { lockDataDir } from './embedded/data-dir-lock';
import { PasswordGate } from './embedded/password-gate';
import { SessionMultiplexer } from './embedded/session-multiplexer';
import { fatalError } from './embedded/wire-protocol';

export interface EmbeddedServerOptions {
  /** Where PGlite keeps its files (created if missing); `memory://` for a throwaway database. */
  dataDir: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Loopback address to bind (default 127.0.0.1); anything else is refused. */
  host?: string;
  /** What every client must prove it knows (user `postgres`). */
  password: string;
  maxConnections?: number;
  idleInTransactionTimeoutMs?: number;
  /** A connection that has not proved the password by then is closed (default 30 s). */
  authenticationTimeoutMs?: number;
}

export interface EmbeddedServer {
  host: string;
  port: number;
  /** A DATABASE_URL for this server, password included. */
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new AppError('conflict', `embedded PostgreSQL: ${host}:${port} is already in use`, { cause: error })
          : error,
      ),
    );
    server.listen(port, host, () => {
      const address = server.address();
      resolveListen(typeof address === 'object' && address ? address.port : port);
    });
  });
}

export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) {
    throw new AppError('bad_request', `embedded PostgreSQL binds loopback addresses only (got ${host})`);
  }
  if (options.password.length < 16) {
    throw new AppError('bad_request', 'embedded PostgreSQL: the password must be at least 16 characters');
  }
  const maxConnections = options.maxConnections ?? 32;
  const inMemory = options.dataDir.startsWith('memory://');
  const unlock = inMemory ? () => {} : lockDataDir(options.dataDir);
  if (!inMemory) mkdirSync(options.dataDir, { recursive: true });

  let db: PGlite;
  try {
    db = await PGlite.create({ dataDir: options.dataDir });
  } catch (error) {
    unlock();
    throw error;
  }
  const handlers = new Map<number, PGLiteSocketHandler>();
  const multiplexer = new SessionMultiplexer(db, {
    idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs ?? 30_000,
    onIdleInTransaction: (handlerId) => {
      // A detach we start emits no close event (the handler drops its socket listeners first): forget it here.
      const handler = handlers.get(handlerId);
      handlers.delete(handlerId);
      socketOf.delete(handlerId);
      void handler?.detach(true);
    },
  });
  const sockets = new Set<Socket>();
  const socketOf = new Map<number, Socket>();
  const authTimers = new Map<number, NodeJS.Timeout>();
  const gate = new PasswordGate(multiplexer, {
    user: USER,
    password: options.password,
    onRefused: (handlerId, refusal) => {
      const handler = handlers.get(handlerId);
      const socket = socketOf.get(handlerId);
      clearTimeout(authTimers.get(handlerId));
      authTimers.delete(handlerId);
      handlers.delete(handlerId);
      socketOf.delete(handlerId);
      // Detach without closing, then end the socket ourselves: the refusal must reach the client first.
      void handler?.detach(false).then(() => socket?.end(refusal, () => socket.destroy()));
    },
  });
  // The handler is typed against pglite-socket's own queue class; ours has the same public contract.
  const queryQueue = gate as unknown as PGLiteSocketHandlerOptions['queryQueue'];

  // Every open socket (declared above), so that stop() can close the ones no handler owns (refused, or mid-detach).
  // Pruned on each connection rather than on 'close', because a detaching handler removes every close listener.
  const server = createServer((socket) => {
    for (const known of sockets) if (known.destroyed) sockets.delete(known);
    sockets.add(socket);
    if (handlers.size >= maxConnections) {
      const refusal = fatalError(
        '53300',
        `sorry, too many clients already (the embedded server allows ${maxConnections})`,
      );
      socket.end(refusal, () => socket.destroy());
      return;
    }
    const handler = new PGLiteSocketHandler({ queryQueue, closeOnDetach: true });
    handlers.set(handler.handlerId, handler);
    socketOf.set(handler.handlerId, socket);
    // Only a connection still here is expired: one that left already is forgotten by the gate too.
    const authTimer = setTimeout(() => {
      if (handlers.has(handler.handlerId)) gate.expire(handler.handlerId);
    }, options.authenticationTimeoutMs ?? 30_000);
    authTimer.unref();
    authTimers.set(handler.handlerId, authTimer);
    const forget = () => {
      clearTimeout(authTimer);
      authTimers.delete(handler.handlerId);
      handlers.delete(handler.handlerId);
      socketOf.delete(handler.handlerId);
    };
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  });

  let port: number;
  try {
    port = await listen(server, options.port, host);
  } catch (error) {
    await db.close();
    unlock();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      await Promise.all([...handlers.values()].map((handler) => handler.detach(true)));
      handlers.clear();
      for (const socket of sockets) socket.destroy();
      await closed;
      multiplexer.close();
      // Closing flushes PGlite's files; only then may another process take the directory.
      await db.close();
      unlock();
    })();
    return stopping;
  };
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `postgresql://${USER}:${encodeURIComponent(options.password)}@${urlHost}:${port}/postgres`;
  return { host, port, url, stop };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      port: { type: 'string', default: '54330' },
      host: { type: 'string', default: '127.0.0.1' },
      'max-connections': { type: 'string', default: '32' },
      // A file, not the password itself: a command line is readable by every process on this machine.
      'password-file': { type: 'string' },
    },
  });
  const port = Number(values.port);
  const maxConnections = Number(values['max-connections']);
  if (!values.dir) throw new AppError('bad_request', 'embedded-server: --dir <data directory> is required');
  if (!values['password-file']) {
    throw new AppError('bad_request', 'embedded-server: --password-file <file holding the password> is required');
  }
  const password = readFileSync(values['password-file'], 'utf8').trim();
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new AppError('bad_request', `embedded-server: --port ${values.port} is not a port number`);
  }
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new AppError('bad_request', `embedded-server: --max-connections ${values['max-connections']} must be >= 1`);
  }
  const server = await startEmbeddedServer({
    dataDir: resolve(values.dir),
    port,
    host: values.host,
    maxConnections,
    password,
  });
  // Not server.url: it carries the password.
  console.log(`embedded PostgreSQL (PGlite) on ${server.host}:${server.port}, data in ${resolve(values.dir)}`);
  const shutdown = () => {
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`embedded-server: stopping failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(isAppError(error) ? error.message : `embedded-server: ${String(error)}`);
    process.exit(1);
  });
}
