import { PrismaPg } from '@prisma/adapter-pg';
import { parseDatabaseUrl } from './database-url';
import { PrismaClient } from './generated/prisma/client';

export interface CreatePrismaClientOptions {
  /** Most pooled connections (default: `connection_limit` from the URL, else 10). */
  poolMax?: number;
  /** How long a query waits for a pooled connection or a new connection before failing (default 10 s). */
  connectionTimeoutMs?: number;
  /** Idle pooled connections are closed after this long (default 30 s). */
  idleTimeoutMs?: number;
  /** Server-side limit for one statement (default: none). */
  statementTimeoutMs?: number;
  /** Shows up in pg_stat_activity, so an operator can tell the API's connections from the worker's. */
  applicationName?: string;
  /** Called for errors on idle pooled connections (e.g. the server restarted); the pool replaces them. */
  onPoolError?: (error: Error) => void;
}

/**
 * A Prisma client over node-postgres (Prisma 7's driver adapter: no query engine binary).
 * The pool belongs to the client: `$disconnect()` closes it.
 */
export function createPrismaClient(databaseUrl: string, options: CreatePrismaClientOptions = {}): PrismaClient {
  const parsed = parseDatabaseUrl(databaseUrl);
  const adapter = new PrismaPg(
    {
      connectionString: parsed.connectionString,
      max: options.poolMax ?? parsed.poolMax ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? parsed.poolTimeoutMs ?? 10_000,
      idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
      ...(options.statementTimeoutMs === undefined ? {} : { statement_timeout: options.statementTimeoutMs }),
      ...(options.applicationName === undefined ? {} : { application_name: options.applicationName }),
    },
    options.onPoolError === undefined ? undefined : { onPoolError: options.onPoolError },
  );
  // Interactive transactions wait up to 10 s for a connection and may run 30 s (Prisma's defaults, 2 s and 5 s, are
  // shorter than one SCRAM connect plus a queue of requests on a loaded two-core machine: a request would fail as a
  // 500 where it only had to wait its turn). Callers with longer work pass their own.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 30_000 } });
}
