import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { copyRows, copyField } from './copy-rows';
import type { LinkedRun } from './load-runs';
import { pgCut, pgJson, pgText } from './pg-text';
import type { DecisionChange, StepState } from './run-projection';

export interface StoreOutcome {
  runsUpdated: number;
  stepsWritten: number;
  decisionsChanged: number;
}

/** What `applyEvent` changed, made ready to write (step ids given, rows made) by `planRunWrites`. */
export interface RunWrites {
  runs: LinkedRun[];
  deletedStepIds: string[];
  /** COPY lines of step rows new in this batch. */
  createdSteps: string[];
  changedSteps: { id: string; step: StepState }[];
  changedRuns: LinkedRun[];
  /** Every written step's id by run, name and attempt (decisions refer to them). */
  stepIds: Map<string, string>;
  runsInserted: number;
}

/**
 * Makes the writes of what `applyEvent` changed, without sending anything: the ingester makes them while the
 * database is still writing the batch's events. Runs in `inserted` were just inserted as projected (adopted):
 * their row is not written again.
 *
 * New step rows get their ids here: the run is locked and only the collector writes steps, so no other row for the
 * same step and attempt can appear meanwhile, and they can be written with COPY.
 */
export function planRunWrites(runs: LinkedRun[], inserted: ReadonlySet<LinkedRun> = new Set()): RunWrites {
  const stepIds = new Map<string, string>();
  const created = new Map<string, string>();
  const changedSteps: { id: string; step: StepState }[] = [];
  for (const linked of runs) {
    const { id: runId, tenantId } = linked.model.run;
    // Rows by the name as stored (cut to the column's width): a name longer than that reads back cut, so a later
    // event's full name must still find its row.
    const stored = new Map<string, string>();
    for (const attempts of linked.model.steps.values()) {
      for (const step of attempts.values()) {
        if (step.id) stored.set(stepKey(runId, pgCut(step.name, 128), step.attempt), step.id);
      }
    }
    for (const step of linked.model.dirtySteps) {
      const key = stepKey(runId, pgCut(step.name, 128), step.attempt);
      step.id ??= stored.get(key);
      if (step.id === undefined) {
        step.id = randomUUID();
        stored.set(key, step.id);
        created.set(key, newStepLine(tenantId, runId, step.id, step));
      } else if (created.has(key)) created.set(key, newStepLine(tenantId, runId, step.id, step));
      else changedSteps.push({ id: step.id, step });
      stepIds.set(stepKey(runId, step.name, step.attempt), step.id);
    }
  }
  return {
    runs,
    deletedStepIds: runs.flatMap((r) => r.model.deletedStepIds),
    createdSteps: [...created.values()],
    changedSteps,
    changedRuns: runs.filter((r) => r.model.runDirty && !inserted.has(r)),
    stepIds,
    runsInserted: inserted.size,
  };
}

/** Writes a plan in the ingesting transaction: steps, then runs, then decisions. */
export async function storeRuns(client: PoolClient, boxId: string, plan: RunWrites): Promise<StoreOutcome> {
  if (plan.deletedStepIds.length > 0) {
    await client.query('DELETE FROM run_steps WHERE id = ANY($1::uuid[])', [plan.deletedStepIds]);
  }
  if (plan.createdSteps.length > 0) {
    await copyRows(client, `COPY run_steps (${STEP_COLUMNS}) FROM STDIN`, plan.createdSteps);
  }
  if (plan.changedSteps.length > 0) await updateSteps(client, plan.changedSteps);
  if (plan.changedRuns.length > 0) await updateRuns(client, plan.changedRuns);
  const decisionsChanged = await applyDecisions(client, boxId, plan.runs, plan.stepIds);
  return {
    runsUpdated: plan.changedRuns.length + plan.runsInserted,
    stepsWritten: plan.stepIds.size,
    decisionsChanged,
  };
}

const STEP_COLUMNS = `id, tenant_id, run_id, name, attempt, position, status, model, tokens_in, tokens_out, cost_micros,
                      duration_ms, exit_code, output_path, output_bytes, error, started_at, finished_at`;

function newStepLine(tenantId: string, runId: string, id: string, s: StepState): string {
  return [
    id,
    tenantId,
    runId,
    copyField(pgCut(s.name, 128)),
    s.attempt,
    s.position,
    s.status,
    copyField(pgCut(s.model, 128)),
    s.tokensIn,
    s.tokensOut,
    s.costMicros.toString(),
    copyField(s.durationMs),
    copyField(s.exitCode),
    copyField(pgText(s.outputPath)),
    copyField(s.outputBytes),
    copyField(pgText(s.error)),
    copyField(s.startedAt?.toISOString() ?? null),
    copyField(s.finishedAt?.toISOString() ?? null),
  ].join('\t');
}

async function updateSteps(client: PoolClient, changed: { id: string; step: StepState }[]): Promise<void> {
  // One JSON parameter, not an array per column: JSON.stringify is native, while pg's array literals are escaped
  // element by element in JavaScript.
  const records = JSON.stringify(
    changed.map(({ id, step: s }) => ({
      id,
      status: s.status,
      model: pgCut(s.model, 128),
      tokens_in: s.tokensIn,
      tokens_out: s.tokensOut,
      cost_micros: s.costMicros.toString(),
      duration_ms: s.durationMs,
      exit_code: s.exitCode,
      output_path: pgText(s.outputPath),
      output_bytes: s.outputBytes,
      error: pgText(s.error),
      started_at: s.startedAt,
      finished_at: s.finishedAt,
    })),
  );
  await client.query(
    `UPDATE run_steps r SET status = u.status::step_status, model = u.model, tokens_in = u.tokens_in,
            tokens_out = u.tokens_out, cost_micros = u.cost_micros, duration_ms = u.duration_ms,
            exit_code = u.exit_code, output_path = u.output_path, output_bytes = u.output_bytes, error = u.error,
            started_at = u.started_at,
            finished_at = u.finished_at, updated_at = now()
       FROM json_to_recordset($1::json)
         AS u(id uuid, status text, model text, tokens_in int, tokens_out int, cost_micros bigint, duration_ms int,
              exit_code int, output_path text, output_bytes bigint, error text, started_at timestamptz,
              finished_at timestamptz)
      WHERE r.id = u.id`,
    [records],
  );
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
