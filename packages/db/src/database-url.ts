import { AppError } from '@paddock/contracts';

export interface ParsedDatabaseUrl {
  /** The URL without the pool parameters below, as `pg` should see it. */
  connectionString: string;
  /** `connection_limit`: most connections one process's pool opens (the embedded server needs this small). */
  poolMax: number | undefined;
  /** `pool_timeout` (seconds): how long a query waits for a free pooled connection before failing. */
  poolTimeoutMs: number | undefined;
}

function positiveInt(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new AppError('bad_request', `DATABASE_URL parameter ${name}=${raw} must be a non-negative integer`);
  }
  url.searchParams.delete(name);
  return value;
}

/**
 * Reads the Prisma-style pool parameters (`connection_limit`, `pool_timeout`) out of a PostgreSQL URL, so one
 * DATABASE_URL configures both the pool size and the connection (pg itself does not know these parameters).
 */
export function parseDatabaseUrl(databaseUrl: string): ParsedDatabaseUrl {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new AppError('bad_request', 'DATABASE_URL is not a valid URL (expected postgresql://user@host:port/db)');
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new AppError('bad_request', `DATABASE_URL must start with postgresql:// (got ${url.protocol}//)`);
  }
  const poolMax = positiveInt(url, 'connection_limit');
  const poolTimeout = positiveInt(url, 'pool_timeout');
  return {
    connectionString: url.toString(),
    poolMax: poolMax === 0 ? undefined : poolMax,
    poolTimeoutMs: poolTimeout === undefined || poolTimeout === 0 ? undefined : poolTimeout * 1000,
  };
}
