import type { PoolClient } from 'pg';
import type { LinkedRun } from './load-runs';
import { pgCut, pgJson, pgText } from './pg-text';
import type { DecisionChange, StepState } from './run-projection';

export interface StoreOutcome {
  runsUpdated: number;
  stepsWritten: number;
  decisionsChanged: number;
}

/** Writes back what `applyEvent` changed, in the ingesting transaction: steps, then runs, then decisions. */
export async function storeRuns(client: PoolClient, boxId: string, runs: LinkedRun[]): Promise<StoreOutcome> {
  const deleted = runs.flatMap((r) => r.model.deletedStepIds);
  if (deleted.length > 0) await client.query('DELETE FROM run_steps WHERE id = ANY($1::uuid[])', [deleted]);
  const stepIds = await upsertSteps(client, runs);
  const changed = runs.filter((r) => r.model.runDirty);
  if (changed.length > 0) await updateRuns(client, changed);
  const decisionsChanged = await applyDecisions(client, boxId, runs, stepIds);
  return { runsUpdated: changed.length, stepsWritten: stepIds.size, decisionsChanged };
}

async function upsertSteps(client: PoolClient, runs: LinkedRun[]): Promise<Map<string, string>> {
  const rows: { runId: string; tenantId: string; step: StepState }[] = [];
  for (const linked of runs) {
    for (const step of linked.model.dirtySteps) {
      rows.push({ runId: linked.model.run.id, tenantId: linked.model.run.tenantId, step });
    }
  }
  const ids = new Map<string, string>();
  if (rows.length === 0) return ids;
  // One JSON parameter, not an array per column: see insertRows in insert-event-rows.ts for why.
  const records = JSON.stringify(
    rows.map(({ runId, tenantId, step: s }) => ({
      tenant_id: tenantId,
      run_id: runId,
      name: pgCut(s.name, 128),
      attempt: s.attempt,
      position: s.position,
      status: s.status,
      model: pgCut(s.model, 128),
      tokens_in: s.tokensIn,
      tokens_out: s.tokensOut,
      cost_micros: s.costMicros.toString(),
      duration_ms: s.durationMs,
      exit_code: s.exitCode,
      output_path: pgText(s.outputPath),
      error: pgText(s.error),
      started_at: s.startedAt,
      finished_at: s.finishedAt,
    })),
  );
  const result = await client.query<{ id: string; run_id: string; name: string; attempt: number }>(
    `INSERT INTO run_steps (tenant_id, run_id, name, attempt, position, status, model, tokens_in, tokens_out, cost_micros,
                            duration_ms, exit_code, output_path, error, started_at, finished_at, updated_at)
     SELECT u.tenant_id, u.run_id, u.name, u.attempt, u.position, u.status::step_status, u.model, u.tokens_in,
            u.tokens_out, u.cost_micros, u.duration_ms, u.exit_code, u.output_path, u.error, u.started_at,
            u.finished_at, now()
       FROM json_to_recordset($1::json)
         AS u(tenant_id uuid, run_id uuid, name text, attempt int, position int, status text, model text,
              tokens_in int, tokens_out int, cost_micros bigint, duration_ms int, exit_code int, output_path text,
              error text, started_at timestamptz, finished_at timestamptz)
     ON CONFLICT (run_id, name, attempt) DO UPDATE SET
       status = EXCLUDED.status, model = EXCLUDED.model, tokens_in = EXCLUDED.tokens_in,
       tokens_out = EXCLUDED.tokens_out, cost_micros = EXCLUDED.cost_micros, duration_ms = EXCLUDED.duration_ms,
       exit_code = EXCLUDED.exit_code, output_path = EXCLUDED.output_path, error = EXCLUDED.error,
       started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, updated_at = now()
     RETURNING id, run_id, name, attempt`,
    [records],
  );
  for (const row of result.rows) ids.set(stepKey(row.run_id, row.name, row.attempt), row.id);
  return ids;
}

async function updateRuns(client: PoolClient, runs: LinkedRun[]): Promise<void> {
  const col = <T>(pick: (r: LinkedRun['model']['run']) => T) => runs.map((r) => pick(r.model.run));
  await client.query(
    `UPDATE runs r SET status = u.status::run_status, tokens_in = u.tokens_in, tokens_out = u.tokens_out,
            cost_micros = u.cost_micros, duration_ms = u.duration_ms, last_event_seq = u.last_event_seq,
            started_at = u.started_at, finished_at = u.finished_at, error = u.error, updated_at = now()
       FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::bigint[], $6::int[], $7::int[],
                   $8::timestamptz[], $9::timestamptz[], $10::text[])
         AS u(id, status, tokens_in, tokens_out, cost_micros, duration_ms, last_event_seq, started_at, finished_at, error)
      WHERE r.id = u.id`,
    [
      col((r) => r.id),
      col((r) => r.status),
      col((r) => r.tokensIn),
      col((r) => r.tokensOut),
      col((r) => r.costMicros.toString()),
      col((r) => r.durationMs),
      col((r) => r.lastEventSeq),
      col((r) => r.startedAt),
      col((r) => r.finishedAt),
      col((r) => pgText(r.error)),
    ],
  );
}

/**
 * Applies each run's decision changes in its own order, but across runs in rounds: the i-th change of every run in
 * one round, all cancellations of a round in one statement (a batch of finished runs cancels each run's pending
 * decisions: one statement per batch, not one per run).
 */
async function applyDecisions(
  client: PoolClient,
  boxId: string,
  runs: LinkedRun[],
  stepIds: Map<string, string>,
): Promise<number> {
  let changed = 0;
  for (let round = 0; ; round++) {
    const cancel: string[] = [];
    const others: { linked: LinkedRun; change: Exclude<DecisionChange, { kind: 'cancel_pending' }> }[] = [];
    for (const linked of runs) {
      const change = linked.model.decisions[round];
      if (!change) continue;
      if (change.kind === 'cancel_pending') cancel.push(linked.model.run.id);
      else others.push({ linked, change });
    }
    if (cancel.length === 0 && others.length === 0) return changed;
    if (cancel.length > 0) {
      const result = await client.query(
        `UPDATE decisions SET status = 'canceled', updated_at = now()
          WHERE run_id = ANY($1::uuid[]) AND status = 'pending'`,
        [cancel],
      );
      changed += result.rowCount ?? 0;
    }
    for (const { linked, change } of others) changed += await applyDecision(client, boxId, linked, change, stepIds);
  }
}

// `runtime_decision_id` is `<step>:<seq of its decision_pending>`; step names cannot hold ':'.
const PENDING_SEQ = `(CASE WHEN runtime_decision_id ~ '^[^:]+:[0-9]{1,9}$'
                       THEN split_part(runtime_decision_id, ':', 2)::int END)`;

async function applyDecision(
  client: PoolClient,
  boxId: string,
  linked: LinkedRun,
  change: Exclude<DecisionChange, { kind: 'cancel_pending' }>,
  stepIds: Map<string, string>,
): Promise<number> {
  const run = linked.model.run;
  if (change.kind === 'pending') {
    const result = await client.query(
      `INSERT INTO decisions (tenant_id, run_id, step_id, box_id, runtime_decision_id, step_name, status, prompt, subject,
                              created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8::jsonb, $9, now())
       ON CONFLICT (run_id, runtime_decision_id) DO NOTHING`,
      [
        run.tenantId,
        run.id,
        stepIds.get(stepKey(run.id, change.stepName, change.attempt)) ?? null,
        boxId,
        change.runtimeDecisionId,
        pgCut(change.stepName, 128),
        pgText(change.prompt),
        pgJson(change.subject),
        change.at,
      ],
    );
    return result.rowCount ?? 0;
  }
  // The API may have recorded who decided (and when) before the box did: those are kept, the box adds delivery.
  const answered = {
    option: change.option,
    by: change.by,
    timed_out: change.timedOut,
  };
  const result = await client.query(
    `UPDATE decisions SET status = $4::decision_status, note = COALESCE(note, $5), decided_at = COALESCE(decided_at, $6),
            delivered_at = COALESCE(delivered_at, $6), subject = COALESCE(subject, '{}'::jsonb) || $7::jsonb,
            updated_at = now()
      WHERE id = (SELECT id FROM decisions
                   WHERE run_id = $1 AND step_name = $2 AND ${PENDING_SEQ} < $3
                   ORDER BY ${PENDING_SEQ} DESC LIMIT 1)`,
    [
      run.id,
      pgCut(change.stepName, 128),
      change.seq,
      change.status,
      pgText(change.note),
      change.at,
      pgJson({ answer: answered }),
    ],
  );
  if ((result.rowCount ?? 0) > 0) return result.rowCount ?? 0;
  // No pending record (its event was never stored): the decision is still recorded.
  const inserted = await client.query(
    `INSERT INTO decisions (tenant_id, run_id, box_id, runtime_decision_id, step_name, status, note, subject,
                            decided_at, delivered_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6::decision_status, $7, $8::jsonb, $9, $9, $9, now())
     ON CONFLICT (run_id, runtime_decision_id) DO NOTHING`,
    [
      run.tenantId,
      run.id,
      boxId,
      pgCut(`${change.stepName}:${change.seq}`, 128),
      pgCut(change.stepName, 128),
      change.status,
      pgText(change.note),
      pgJson({ answer: answered }),
      change.at,
    ],
  );
  return inserted.rowCount ?? 0;
}

function stepKey(runId: string, name: string, attempt: number): string {
  return `${runId}\u0000${name}\u0000${attempt}`;
}
