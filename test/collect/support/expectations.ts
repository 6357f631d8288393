import type { RunEvent } from '@paddock/contracts';
import type { Pool } from 'pg';
import type { LocalRuntime } from './local-runtime';

/** Every event on the box, as `chainctl events --json` lists it (box-wide, each exactly once). */
export async function eventsOnBox(runtime: LocalRuntime, runId?: string): Promise<RunEvent[]> {
  const { stdout } = await runtime.chainctl('events', ...(runId ? ['--run', runId] : []), '--json');
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RunEvent);
}

/** `runId:seq` of every event stored for the box, with how often each is stored. */
export async function storedEventKeys(pool: Pool, boxId: string): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ runtime_run_id: string; seq: number; n: number }>(
    `SELECT runtime_run_id, seq, count(*)::int AS n FROM usage_events WHERE box_id = $1 GROUP BY 1, 2`,
    [boxId],
  );
  return new Map(rows.map((r) => [`${r.runtime_run_id}:${r.seq}`, r.n]));
}

/** Token and cost totals over the box's runs in Postgres, and over the events the box recorded. */
export async function usageTotals(pool: Pool, boxId: string, onBox: RunEvent[]) {
  const { rows } = await pool.query<{ tokens_in: number; tokens_out: number; cost: string }>(
    `SELECT COALESCE(sum(tokens_in), 0)::int AS tokens_in, COALESCE(sum(tokens_out), 0)::int AS tokens_out,
            COALESCE(sum(cost_micros), 0)::text AS cost FROM runs WHERE box_id = $1`,
    [boxId],
  );
  const box = onBox.reduce(
    (sum, e) => ({
      tokens_in: sum.tokens_in + (e.input_tokens ?? 0),
      tokens_out: sum.tokens_out + (e.output_tokens ?? 0),
      cost: sum.cost + BigInt(Math.round((e.cost_usd ?? 0) * 1_000_000)),
    }),
    { tokens_in: 0, tokens_out: 0, cost: 0n },
  );
  return { stored: rows[0], onBox: { ...box, cost: box.cost.toString() } };
}

/** The control plane's row of a box's run, once it has `status` (for waitFor). */
export async function runRow(pool: Pool, boxId: string, runtimeRunId: string, status: string) {
  const { rows } = await pool.query<{
    id: string;
    status: string;
    tokens_in: number;
    tokens_out: number;
    cost: string;
    duration_ms: number | null;
  }>(
    `SELECT id, status, tokens_in, tokens_out, cost_micros::text AS cost, duration_ms FROM runs
      WHERE box_id = $1 AND runtime_run_id = $2 AND status = $3`,
    [boxId, runtimeRunId, status],
  );
  return rows[0];
}
