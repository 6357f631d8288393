import type { ServiceClients } from '../clients';

/**
 * The collector's backoff for a box it cannot reach, kept on its cursor row (only while this collector owns it):
 * failures in a row, the wait before the next attempt, when that is and why the last one failed.
 */
export async function recordReconnectScheduled(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  input: { boxId: string; ownerId: string; failures: number; delayMs: number; error: string | null },
): Promise<void> {
  await pool.query(
    `UPDATE collector_cursors
        SET reconnect_failures = $3, reconnect_delay_ms = $4::integer,
            next_reconnect_at = now() + make_interval(secs => $4::integer / 1000.0),
            reconnect_error = COALESCE($5, reconnect_error)
      WHERE box_id = $1 AND owner_id = $2`,
    [input.boxId, input.ownerId, input.failures, input.delayMs, input.error?.slice(0, 500) ?? null],
  );
}

/** The box answered: no backoff any more. */
export async function clearReconnectState(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  input: { boxId: string; ownerId: string },
): Promise<void> {
  await pool.query(
    `UPDATE collector_cursors
        SET reconnect_failures = 0, reconnect_delay_ms = NULL, next_reconnect_at = NULL, reconnect_error = NULL
      WHERE box_id = $1 AND owner_id = $2 AND reconnect_failures <> 0`,
    [input.boxId, input.ownerId],
  );
}
