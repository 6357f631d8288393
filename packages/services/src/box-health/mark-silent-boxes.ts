import { raiseAlertPg } from './alerts-pg';
import type { ServiceClients } from '../clients';

/** The alert key of a box that stopped answering. */
export function silentAlertKey(boxId: string): string {
  return `box_silent:${boxId}`;
}

export interface SilentBox {
  boxId: string;
  tenantId: string | null;
  lastSeenAt: Date | null;
}

/**
 * Of the boxes a collector streams, those in service (`ready`, `unhealthy`) with no contact for `silentMs` (no health
 * beat, no channel open; never seen counts from the row's creation) become `unreachable`, and each raises one
 * `box_silent` alert. Contact again (recordBoxHealth) resolves it and the next health beat judges the box afresh.
 */
export async function markSilentBoxes(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  input: { boxIds: string[]; silentMs: number },
): Promise<SilentBox[]> {
  if (input.boxIds.length === 0) return [];
  const { rows } = await pool.query<{ id: string; tenant_id: string | null; last_seen_at: Date | null }>(
    `UPDATE boxes SET status = 'unreachable',
            status_reason = 'no contact for ' || round($2::double precision / 1000) || ' s (last seen ' ||
                            COALESCE(to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'never') || ')'
      WHERE id = ANY($1::uuid[]) AND status IN ('ready', 'unhealthy')
        AND COALESCE(last_seen_at, created_at) < now() - make_interval(secs => $2::double precision / 1000)
      RETURNING id, tenant_id, last_seen_at`,
    [input.boxIds, input.silentMs],
  );
  const silent = rows.map((r) => ({ boxId: r.id, tenantId: r.tenant_id, lastSeenAt: r.last_seen_at }));
  for (const box of silent) {
    await raiseAlertPg(
      { pg: pool },
      {
        tenantId: box.tenantId,
        boxId: box.boxId,
        severity: 'warning',
        code: 'box_silent',
        message: `Box ${box.boxId} has not answered for ${Math.round(input.silentMs / 1000)} s (last seen ${
          box.lastSeenAt?.toISOString() ?? 'never'
        }): marked unreachable; the collector keeps retrying with backoff.`,
        details: { lastSeenAt: box.lastSeenAt?.toISOString() ?? null, silentMs: input.silentMs },
        dedupeKey: silentAlertKey(box.boxId),
      },
    );
  }
  return silent;
}
