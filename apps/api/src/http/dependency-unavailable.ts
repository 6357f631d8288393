/**
 * Tells a failure of the API's own dependencies (PostgreSQL down or restarting, Redis unreachable) from a bug, so the
 * client gets 503 with Retry-After ("come back in a moment") instead of 500 `internal`, and the API recovers by itself:
 * the pools open new connections once the server answers again. Recognised by shape, never by parsing messages of
 * unknown origin: Prisma's connection error codes, its driver adapter's error kinds, PostgreSQL's SQLSTATE classes 08
 * (connection exception) and 57P (the server is shutting down or starting up), node-postgres's own connection
 * failures, and ioredis giving up on a command.
 */
export type UnavailableDependency = 'database' | 'redis';

// Prisma: P1001 can't reach, P1002 timed out, P1008 operation timed out, P1017 server closed the connection,
// P2024 timed out waiting for a pooled connection.
const PRISMA_CONNECTION_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const ADAPTER_CONNECTION_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
// node-postgres's errors for a connection that could not be made or died under a query.
const PG_CONNECTION_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

function isServerUnavailableState(sqlState: unknown): boolean {
  return (
    typeof sqlState === 'string' && (sqlState.startsWith('08') || sqlState.startsWith('57P') || sqlState === '53300')
  );
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function fromPrisma(error: Record<string, unknown>): boolean {
  const name = error.name;
  if (typeof name !== 'string' || !name.startsWith('PrismaClient')) return false;
  if (name === 'PrismaClientInitializationError') return true;
  if (typeof error.code === 'string' && PRISMA_CONNECTION_CODES.has(error.code)) return true;
  const adapter = asRecord(asRecord(asRecord(error.meta)?.driverAdapterError)?.cause);
  if (!adapter) return false;
  if (typeof adapter.kind === 'string' && ADAPTER_CONNECTION_KINDS.has(adapter.kind)) return true;
  return adapter.kind === 'postgres' && isServerUnavailableState(adapter.code);
}

function fromPg(error: Record<string, unknown>): boolean {
  // A DatabaseError from the server (it carries `severity`) in the connection or shutdown classes.
  if (typeof error.severity === 'string' && isServerUnavailableState(error.code)) return true;
  const message = typeof error.message === 'string' ? error.message : '';
  return PG_CONNECTION_MESSAGES.some((text) => message.startsWith(text));
}

function fromRedis(error: Record<string, unknown>): boolean {
  // ioredis: a command that gave up after maxRetriesPerRequest, or was refused on a closed connection.
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const message = typeof error.message === 'string' ? error.message : '';
  return message === 'Connection is closed.' || message.startsWith("Stream isn't writeable");
}

/** Which dependency made this request fail, if the error (or one of its causes) says a dependency is unavailable. */
export function unavailableDependency(error: unknown): UnavailableDependency | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5; depth++) {
    const record = asRecord(current);
    if (!record) return undefined;
    if (fromPrisma(record) || fromPg(record)) return 'database';
    if (fromRedis(record)) return 'redis';
    current = record.cause;
  }
  return undefined;
}
