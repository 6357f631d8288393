import type { AlertInput } from '../alerts/raise-alert';
import type { ServiceClients } from '../clients';

/**
 * `raiseAlert` for callers holding plain pg (the collector): the same single statement on the partial unique index
 * `alerts_one_open_per_dedupe_key`. Resolves true when this call opened the alert.
 */
export async function raiseAlertPg({ pg: pool }: Pick<ServiceClients, 'pg'>, input: AlertInput): Promise<boolean> {
  const { rows } = await pool.query<{ opened: boolean }>(
    `INSERT INTO alerts (tenant_id, box_id, severity, code, message, details, dedupe_key)
     VALUES ($1::uuid, $2::uuid, $3::alert_severity, $4, $5, COALESCE($6::jsonb, '{}'::jsonb), $7)
     ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL AND status <> 'resolved'
     DO UPDATE SET occurrences = alerts.occurrences + 1, last_seen_at = now(), message = EXCLUDED.message
     RETURNING (xmax = 0) AS opened`,
    [
      input.tenantId ?? null,
      input.boxId ?? null,
      input.severity,
      input.code,
      input.message,
      input.details === undefined ? null : JSON.stringify(input.details),
      input.dedupeKey,
    ],
  );
  return rows[0]?.opened === true;
}

/** Resolves the open alert with this key, if any. */
export async function resolveAlertPg({ pg: pool }: Pick<ServiceClients, 'pg'>, dedupeKey: string): Promise<number> {
  const result = await pool.query(
    `UPDATE alerts SET status = 'resolved', resolved_at = now() WHERE dedupe_key = $1 AND status <> 'resolved'`,
    [dedupeKey],
  );
  return result.rowCount ?? 0;
}
