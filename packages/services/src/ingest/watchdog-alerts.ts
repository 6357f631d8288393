import type { PoolClient } from 'pg';
import type { EventRow } from './event-rows';
import { pgCut, pgJson } from './pg-text';

/** The code of every alert a box's watchdog raises (`alerts.code`); `details.reason` says idle or timeout. */
export const WATCHDOG_ALERT_CODE = 'watchdog_killed';

interface PendingAlert {
  dedupeKey: string;
  message: string;
  details: Record<string, unknown>;
  occurrences: number;
}

/**
 * Turns the watchdog's `alert` events of a batch into `alerts` rows, inside the ingestion transaction (so an alert
 * exists exactly when its event does, and a batch read twice raises nothing twice: only `fresh` rows are passed).
 *
 * One open alert per box, chain, step and reason: a step of a chain that keeps hanging (its retries, the next runs)
 * bumps `occurrences` and `last_seen_at` and names the newest run, rather than adding a row per kill; once an operator
 * resolves it, the next kill opens a new one (the partial unique index `alerts_one_open_per_dedupe_key`). Everything
 * in the event is the tenant's (the box is hostile input): it is cut to size and only ever stored under the box's
 * own tenant and box.
 */
export async function raiseWatchdogAlerts(
  client: PoolClient,
  scope: { boxId: string; tenantId: string },
  fresh: EventRow[],
  names: { runIds: Map<string, string>; chainNames: Map<string, string> },
): Promise<number> {
  const pending = new Map<string, PendingAlert>();
  for (const row of fresh) {
    const event = row.event;
    if (event.kind !== 'alert') continue;
    const reason = event.data?.watchdog === 'timeout' ? 'timeout' : 'idle';
    const chain = names.chainNames.get(row.runtimeRunId) ?? null;
    const dedupeKey = pgCut(
      `watchdog:${scope.boxId}:${chain === null ? `run:${row.runtimeRunId}` : `chain:${chain}`}:${row.stepName}:${reason}`,
      255,
    );
    const limit = typeof event.data?.limit === 'string' ? pgCut(event.data.limit, 32) : null;
    const message = pgCut(
      `Step ${row.stepName}${chain === null ? '' : ` of chain ${chain}`} (run ${row.runtimeRunId}, attempt ${event.attempt ?? '?'}): ${event.message ?? `killed by the watchdog (${reason})`}`,
      1000,
    );
    const details = {
      reason,
      limit,
      step: row.stepName,
      chain,
      runId: names.runIds.get(row.runtimeRunId) ?? null,
      runtimeRunId: row.runtimeRunId,
      attempt: event.attempt ?? null,
      seq: row.seq,
      occurredAt: row.occurredAt,
    };
    const seen = pending.get(dedupeKey);
    pending.set(dedupeKey, { dedupeKey, message, details, occurrences: (seen?.occurrences ?? 0) + 1 });
  }
  if (pending.size === 0) return 0;
  const alerts = [...pending.values()];
  // One statement for the batch: each key appears once (summed above), as ON CONFLICT DO UPDATE requires.
  await client.query(
    `INSERT INTO alerts (tenant_id, box_id, severity, code, message, details, dedupe_key, occurrences)
     SELECT $1, $2, 'warning', $3, a.message, a.details::jsonb, a.dedupe_key, a.occurrences
       FROM unnest($4::text[], $5::text[], $6::text[], $7::int[]) AS a(dedupe_key, message, details, occurrences)
     ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL AND status <> 'resolved'
     DO UPDATE SET occurrences = alerts.occurrences + EXCLUDED.occurrences, last_seen_at = now(),
                   message = EXCLUDED.message, details = EXCLUDED.details`,
    [
      scope.tenantId,
      scope.boxId,
      WATCHDOG_ALERT_CODE,
      alerts.map((a) => a.dedupeKey),
      alerts.map((a) => a.message),
      alerts.map((a) => pgJson(a.details)),
      alerts.map((a) => a.occurrences),
    ],
  );
  return alerts.length;
}
