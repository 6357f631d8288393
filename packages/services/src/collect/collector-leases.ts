import type { PoolClient } from 'pg';
import type { ServiceClients } from '../clients';

/**
 * Box ownership for collectors, in `collector_cursors`: a collector owns a box while `owner_id` is its id and its
 * lease has not expired. Leases are measured on the database's clock (`now()`), never a worker's, so workers with
 * skewed clocks still agree. A lease only decides who streams a box; the cursor's compare-and-set in the ingest
 * transaction is what keeps a collector that lost its lease from writing.
 */

/** Boxes that run the runtime and belong to a tenant: what collectors stream from. */
const COLLECTABLE = `b.tenant_id IS NOT NULL AND b.destroyed_at IS NULL
  AND (b.status IN ('ready', 'unhealthy', 'unreachable') OR (b.status = 'deploying' AND b.current_release_id IS NOT NULL))`;

export interface ClaimedBox {
  boxId: string;
  tenantId: string;
  cursor: string;
}

/** Makes a cursor row (cursor '', no owner) for every collectable box that has none yet. */
export async function ensureCursorRows({ pg: pool }: Pick<ServiceClients, 'pg'>): Promise<number> {
  const result = await pool.query(
    `INSERT INTO collector_cursors (box_id, tenant_id)
     SELECT b.id, b.tenant_id FROM boxes b WHERE ${COLLECTABLE}
     ON CONFLICT (box_id) DO NOTHING`,
  );
  return result.rowCount ?? 0;
}

/**
 * Takes up to `limit` collectable boxes that nobody holds: never owned, released, whose lease expired, or whose owner
 * is gone. An owner is gone when its presence lock (below) has vanished with its connection and it has not renewed
 * for `orphanAfterMs`: a live collector whose presence connection merely dropped (a database restart) announces
 * itself again and renews on its next tick, well within that, so only a dead process loses its boxes before expiry.
 */
export async function claimBoxes(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  input: { ownerId: string; leaseMs: number; limit: number; orphanAfterMs?: number },
): Promise<ClaimedBox[]> {
  if (input.limit <= 0) return [];
  const result = await pool.query<{ box_id: string; tenant_id: string; cursor: string }>(
    `WITH free AS (
       SELECT c.box_id FROM collector_cursors c JOIN boxes b ON b.id = c.box_id
        WHERE (c.owner_id IS NULL OR c.lease_expires_at IS NULL OR c.lease_expires_at < now()
               OR (c.lease_expires_at < now() + make_interval(secs => ($2::double precision - $4::double precision) / 1000)
                   AND NOT ${OWNER_PRESENT}))
          AND ${COLLECTABLE}
        ORDER BY c.lease_expires_at NULLS FIRST, c.box_id
        LIMIT $3
        FOR UPDATE OF c SKIP LOCKED)
     UPDATE collector_cursors c
        SET owner_id = $1, lease_expires_at = now() + make_interval(secs => $2::double precision / 1000),
            tenant_id = b.tenant_id, updated_at = now()
       FROM free, boxes b
      WHERE c.box_id = free.box_id AND b.id = c.box_id
      RETURNING c.box_id, b.tenant_id, c.cursor`,
    // Without orphanAfterMs an owner counts as gone only once its whole lease has passed (expiry alone).
    [input.ownerId, input.leaseMs, input.limit, input.orphanAfterMs ?? input.leaseMs],
  );
  return result.rows.map((r) => ({ boxId: r.box_id, tenantId: r.tenant_id, cursor: r.cursor }));
}

/**
 * Extends the leases this collector still holds on boxes that are still collectable, and returns them. A box
 * missing from the answer was taken over (after the lease expired) or stopped being collectable: stop streaming it.
 */
export async function renewLeases(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  input: { ownerId: string; leaseMs: number; boxIds: string[] },
): Promise<Set<string>> {
  if (input.boxIds.length === 0) return new Set();
  const result = await pool.query<{ box_id: string }>(
    `UPDATE collector_cursors c
        SET lease_expires_at = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
       FROM boxes b
      WHERE b.id = c.box_id AND c.owner_id = $1 AND c.box_id = ANY($3::uuid[]) AND ${COLLECTABLE}
      RETURNING c.box_id`,
    [input.ownerId, input.leaseMs, input.boxIds],
  );
  return new Set(result.rows.map((r) => r.box_id));
}

/**
 * Gives back every box still listed under this owner id: at start, those are a previous process's with the same id
 * (a worker restarted with a fixed WORKER_ID), which this process does not stream.
 */
export async function releaseAllBoxes({ pg: pool }: Pick<ServiceClients, 'pg'>, ownerId: string): Promise<number> {
  const result = await pool.query(
    'UPDATE collector_cursors SET owner_id = NULL, lease_expires_at = NULL, updated_at = now() WHERE owner_id = $1',
    [ownerId],
  );
  return result.rowCount ?? 0;
}

/** Gives boxes back (shutdown, rebalancing), so another collector takes them at once instead of after expiry. */
export async function releaseBoxes(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  input: { ownerId: string; boxIds: string[] },
): Promise<number> {
  if (input.boxIds.length === 0) return 0;
  const result = await pool.query(
    `UPDATE collector_cursors SET owner_id = NULL, lease_expires_at = NULL, updated_at = now()
      WHERE owner_id = $1 AND box_id = ANY($2::uuid[])`,
    [input.ownerId, input.boxIds],
  );
  return result.rowCount ?? 0;
}

export async function countCollectableBoxes({ pg: pool }: Pick<ServiceClients, 'pg'>): Promise<number> {
  const result = await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM boxes b WHERE ${COLLECTABLE}`);
  return Number(result.rows[0]?.n ?? 0);
}

// Presence: each running collector holds a session advisory lock (PRESENCE_CLASS, hash of its id) on a connection
// of its own; the locks vanish with the connection when a worker dies, so counting them counts live collectors.
const PRESENCE_CLASS = 0x70_64_63; // "pdc"
// The owner of cursor row `c` holds its presence lock. pg_locks shows the lock's int4 keys as unsigned oids.
const OWNER_PRESENT = `EXISTS (SELECT 1 FROM pg_locks l
   WHERE l.locktype = 'advisory' AND l.classid = ${PRESENCE_CLASS} AND l.objsubid = 2 AND l.granted
     AND l.objid::bigint = (hashtext(c.owner_id)::bigint & 4294967295)
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))`;

/** Announces this collector for as long as the returned connection lives. */
export async function announcePresence({ pg: pool }: Pick<ServiceClients, 'pg'>, ownerId: string): Promise<PoolClient> {
  const client = await pool.connect();
  // Until the caller attaches its own: a connection dying here must not end the process with an unheard 'error'.
  client.on('error', () => undefined);
  try {
    await client.query('SELECT pg_advisory_lock($1::int, hashtext($2))', [PRESENCE_CLASS, ownerId]);
    return client;
  } catch (error) {
    client.release(true);
    throw error;
  }
}

/** Live collectors on this database (at least 1: the caller). */
export async function countCollectors({ pg: pool }: Pick<ServiceClients, 'pg'>): Promise<number> {
  const result = await pool.query<{ n: string }>(
    `SELECT count(DISTINCT objid)::text AS n FROM pg_locks
      WHERE locktype = 'advisory' AND classid = $1 AND objsubid = 2 AND granted
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [PRESENCE_CLASS],
  );
  return Math.max(1, Number(result.rows[0]?.n ?? 1));
}
