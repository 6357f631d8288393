import type { PoolClient } from 'pg';
import { newRunModel, type RunModel, type RunState, type StepState } from './run-projection';

export interface LinkedRun {
  runtimeRunId: string;
  chainName: string;
  model: RunModel;
}

interface RunRowDb {
  id: string;
  runtime_run_id: string;
  tenant_id: string;
  status: RunState['status'];
  tokens_in: number;
  tokens_out: number;
  cost_micros: string;
  duration_ms: number | null;
  last_event_seq: number;
  started_at: Date | null;
  finished_at: Date | null;
  error: string | null;
  chain_name: string;
  graph: Record<string, { needs?: unknown }> | null;
}

interface StepRowDb {
  id: string;
  run_id: string;
  name: string;
  attempt: number;
  position: number;
  status: StepState['status'];
  model: string | null;
  tokens_in: number;
  tokens_out: number;
  cost_micros: string;
  duration_ms: number | null;
  exit_code: number | null;
  output_path: string | null;
  output_bytes: string | null;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

/**
 * The box's runs among `runtimeRunIds`, locked for this transaction, with their steps and (when the run's chain
 * version is known) the step graph. Runs the control plane has no row for are simply absent.
 */
export async function loadRuns(
  client: PoolClient,
  boxId: string,
  runtimeRunIds: string[],
): Promise<Map<string, LinkedRun>> {
  const runs = await client.query<RunRowDb>(
    `SELECT r.id, r.runtime_run_id, r.tenant_id, r.status, r.tokens_in, r.tokens_out, r.cost_micros::text AS cost_micros,
            r.duration_ms, r.last_event_seq, r.started_at, r.finished_at, r.error, c.name AS chain_name,
            cv.definition -> 'chain' -> 'agents' AS graph
       FROM runs r
       JOIN chains c ON c.id = r.chain_id
       LEFT JOIN chain_versions cv ON cv.id = r.chain_version_id
      WHERE r.box_id = $1 AND r.runtime_run_id = ANY($2::text[])
      FOR UPDATE OF r`,
    [boxId, runtimeRunIds],
  );
  const result = new Map<string, LinkedRun>();
  if (runs.rows.length === 0) return result;
  const steps = await client.query<StepRowDb>(
    `SELECT id, run_id, name, attempt, position, status, model, tokens_in, tokens_out, cost_micros::text AS cost_micros,
            duration_ms, exit_code, output_path, output_bytes::text AS output_bytes, error, started_at, finished_at
       FROM run_steps WHERE run_id = ANY($1::uuid[])`,
    [runs.rows.map((r) => r.id)],
  );
  const stepsByRun = new Map<string, StepState[]>();
  for (const row of steps.rows) {
    let list = stepsByRun.get(row.run_id);
    if (!list) {
      list = [];
      stepsByRun.set(row.run_id, list);
    }
    list.push({
      id: row.id,
      name: row.name,
      attempt: row.attempt,
      position: row.position,
      status: row.status,
      model: row.model,
      tokensIn: row.tokens_in,
      tokensOut: row.tokens_out,
      costMicros: BigInt(row.cost_micros),
      durationMs: row.duration_ms,
      exitCode: row.exit_code,
      outputPath: row.output_path,
      // bigint comes back as text: an output past 2^53 bytes is not a real one (the event schema caps it at 2^40).
      outputBytes: row.output_bytes === null ? null : Number(row.output_bytes),
      error: row.error,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
    });
  }
  for (const row of runs.rows) {
    const run: RunState = {
      id: row.id,
      tenantId: row.tenant_id,
      status: row.status,
      tokensIn: row.tokens_in,
      tokensOut: row.tokens_out,
      costMicros: BigInt(row.cost_micros),
      durationMs: row.duration_ms,
      lastEventSeq: row.last_event_seq,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      error: row.error,
    };
    result.set(row.runtime_run_id, {
      runtimeRunId: row.runtime_run_id,
      chainName: row.chain_name,
      model: newRunModel(run, stepsByRun.get(row.id) ?? [], graphOf(row.graph)),
    });
  }
  return result;
}

/** Step name → needs, from a stored chain definition; undefined when it is not the expected shape. */
export function graphOf(agents: RunRowDb['graph']): Map<string, string[]> | undefined {
  if (!agents || typeof agents !== 'object') return undefined;
  const graph = new Map<string, string[]>();
  for (const [name, def] of Object.entries(agents)) {
    const needs = Array.isArray(def?.needs) ? def.needs.filter((n): n is string => typeof n === 'string') : [];
    graph.set(name, needs);
  }
  return graph;
}
