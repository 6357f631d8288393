import { resolveAlertPg } from './alerts-pg';
import { lostRunsAlertKey } from './mark-lost-runs';
import type { ServiceClients } from '../clients';

/** Asks the box whether it still has a run: true, false (it answers that it has no such run), or throws. */
export type AskBoxForRun = (runtimeRunId: string) => Promise<boolean>;

export interface RevivedRuns {
  revived: string[];
  stillLost: string[];
}

/**
 * The box of lost runs answered with its daemon running again. Each run declared lost since the daemon was last
 * seen is asked for on the box: one the box still has leaves `lost` for the status its steps say (what the next
 * events then move on: the box's recovery reruns interrupted steps), its loss forgotten; one the box does not have
 * stays `lost`, its reason saying so. Usage is never touched here: totals are the sum of usage events, keyed
 * `boxId:runId:seq`, so a revived run's events are counted once whatever was collected before it was lost.
 * Called before the health beat moves `daemon_seen_at` on, so a beat that fails half-way is redone by the next.
 */
export async function reviveLostRuns(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  boxId: string,
  ask: AskBoxForRun,
): Promise<RevivedRuns> {
  const { rows } = await pool.query<{ id: string; runtime_run_id: string | null }>(
    `SELECT r.id, r.runtime_run_id FROM runs r JOIN boxes b ON b.id = r.box_id
      WHERE r.box_id = $1 AND r.lost_at IS NOT NULL AND (b.daemon_seen_at IS NULL OR b.daemon_seen_at < r.lost_at)`,
    [boxId],
  );
  const outcome: RevivedRuns = { revived: [], stillLost: [] };
  for (const row of rows) {
    const known = row.runtime_run_id !== null && (await ask(row.runtime_run_id));
    (known ? outcome.revived : outcome.stillLost).push(row.id);
  }
  if (outcome.revived.length > 0) {
    // The status the collector would derive from the steps (run-status.ts): a current attempt running, else one
    // waiting for a decision, else running once anything started. A run the events already moved on keeps theirs.
    await pool.query(
      `WITH current_steps AS (
         SELECT DISTINCT ON (run_id, name) run_id, status, attempt FROM run_steps
          WHERE run_id = ANY($1::uuid[]) ORDER BY run_id, name, attempt DESC)
       UPDATE runs r SET
              status = CASE WHEN r.status <> 'lost' THEN r.status
                WHEN EXISTS (SELECT 1 FROM current_steps s WHERE s.run_id = r.id AND s.status = 'running') THEN 'running'
                WHEN EXISTS (SELECT 1 FROM current_steps s WHERE s.run_id = r.id AND s.status = 'waiting_decision')
                  THEN 'waiting_decision'
                WHEN EXISTS (SELECT 1 FROM current_steps s WHERE s.run_id = r.id AND (s.status <> 'pending' OR s.attempt > 1))
                  THEN 'running'
                ELSE 'queued' END::run_status,
              error = CASE WHEN r.error IS NOT DISTINCT FROM r.lost_reason THEN NULL ELSE r.error END,
              lost_at = NULL, lost_reason = NULL, updated_at = now()
        WHERE r.id = ANY($1::uuid[])`,
      [outcome.revived],
    );
  }
  if (outcome.stillLost.length > 0) {
    await pool.query(
      `UPDATE runs SET lost_reason = 'the box came back without this run', error = 'the box came back without this run',
              lost_at = now(), updated_at = now()
        WHERE id = ANY($1::uuid[])`,
      [outcome.stillLost],
    );
  }
  if (rows.length > 0 && outcome.stillLost.length === 0) await resolveAlertPg({ pg: pool }, lostRunsAlertKey(boxId));
  return outcome;
}
