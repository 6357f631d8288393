import { raiseAlertPg } from './alerts-pg';
import type { ServiceClients } from '../clients';

/** The alert key of a box whose runs were declared lost. */
export function lostRunsAlertKey(boxId: string): string {
  return `runs_lost:${boxId}`;
}

export interface LostRun {
  runId: string;
  tenantId: string;
  boxId: string;
  runtimeRunId: string | null;
  reason: string;
}

/**
 * Runs left `running` (or waiting for a decision) on a box whose runtime daemon has not been seen for `lostMs`
 * (`boxes.daemon_seen_at`: the box stopped answering, was destroyed, or answers without a daemon its supervisor
 * could not bring back) become `lost`, with the reason in `lost_reason` and `error`, and each box raises one
 * `runs_lost` alert naming them. Not final: `reviveLostRuns` moves them on if the box comes back with them.
 * One statement, so collectors of several workers sweeping at once mark each run once. The run must itself be
 * older than `lostMs`, so a run started just before a daemon's first health answer is never taken for lost.
 */
export async function markLostRuns(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  input: { lostMs: number },
): Promise<LostRun[]> {
  const { rows } = await pool.query<{
    id: string;
    tenant_id: string;
    box_id: string;
    runtime_run_id: string | null;
    reason: string;
  }>(
    `WITH candidates AS (
       SELECT r.id,
              CASE WHEN b.status IN ('unreachable', 'destroyed', 'destroying', 'failed')
                   THEN 'box ' || b.status::text || ': '
                   ELSE 'box answers without its runtime daemon: ' END ||
              'runtime daemon last seen ' ||
              COALESCE(to_char(b.daemon_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'never') ||
              ' (given up after ' || round($1::double precision / 1000) || ' s)' AS reason
         FROM runs r JOIN boxes b ON b.id = r.box_id
        WHERE r.status IN ('running', 'waiting_decision')
          AND COALESCE(b.daemon_seen_at, b.created_at) < now() - make_interval(secs => $1::double precision / 1000)
          AND COALESCE(r.started_at, r.created_at) < now() - make_interval(secs => $1::double precision / 1000)
        FOR UPDATE OF r SKIP LOCKED)
     UPDATE runs r SET status = 'lost', lost_at = now(), lost_reason = c.reason, error = c.reason, updated_at = now()
       FROM candidates c
      WHERE r.id = c.id AND r.status IN ('running', 'waiting_decision')
      RETURNING r.id, r.tenant_id, r.box_id, r.runtime_run_id, c.reason`,
    [input.lostMs],
  );
  const lost = rows.map((r) => ({
    runId: r.id,
    tenantId: r.tenant_id,
    boxId: r.box_id,
    runtimeRunId: r.runtime_run_id,
    reason: r.reason,
  }));
  const byBox = new Map<string, LostRun[]>();
  for (const run of lost) byBox.set(run.boxId, [...(byBox.get(run.boxId) ?? []), run]);
  for (const [boxId, runs] of byBox) {
    await raiseAlertPg(
      { pg: pool },
      {
        tenantId: runs[0]?.tenantId ?? null,
        boxId,
        severity: 'critical',
        code: 'runs_lost',
        message: `${runs.length} run(s) on box ${boxId} marked lost: ${runs[0]?.reason}. They move on by themselves if the box comes back with them.`,
        details: { runIds: runs.map((r) => r.runId), runtimeRunIds: runs.map((r) => r.runtimeRunId) },
        dedupeKey: lostRunsAlertKey(boxId),
      },
    );
  }
  return lost;
}
