import { type RunEvent, RunEventSchema } from '@paddock/contracts';
import type { PoolClient } from 'pg';
import type { EventUsage } from './event-rows';
import type { LinkedRun } from './load-runs';

export interface EarlierEvent {
  /** usage_events.id */
  id: string;
  event: RunEvent;
  /** The usage its row put in the books (never counted on a run yet). */
  counted: EventUsage;
}

/**
 * Runs never projected (last_event_seq 0) may have events stored before their row existed (run_id still null): those,
 * by run and in seq order, to be folded in first. Read only: `linkEarlierEvents` links them once the runs' rows exist.
 */
export async function earlierEvents(
  client: PoolClient,
  boxId: string,
  runs: LinkedRun[],
): Promise<Map<string, EarlierEvent[]>> {
  const byRun = new Map<string, EarlierEvent[]>();
  const fresh = runs.filter((r) => r.model.run.lastEventSeq === 0).map((r) => r.runtimeRunId);
  if (fresh.length === 0) return byRun;
  const found = await client.query<{
    id: string;
    runtime_run_id: string;
    payload: unknown;
    tokens_in: number;
    tokens_out: number;
    cost_micros: string;
  }>(
    `SELECT id::text AS id, runtime_run_id, payload, tokens_in, tokens_out, cost_micros::text AS cost_micros
       FROM usage_events
      WHERE box_id = $1 AND runtime_run_id = ANY($2::text[]) AND run_id IS NULL
      ORDER BY runtime_run_id, seq`,
    [boxId, fresh],
  );
  for (const row of found.rows) {
    const parsed = RunEventSchema.safeParse(row.payload); // stored payloads leave null fields out
    if (!parsed.success) continue;
    let list = byRun.get(row.runtime_run_id);
    if (!list) {
      list = [];
      byRun.set(row.runtime_run_id, list);
    }
    list.push({
      id: row.id,
      event: parsed.data,
      counted: { tokensIn: row.tokens_in, tokensOut: row.tokens_out, costMicros: BigInt(row.cost_micros) },
    });
  }
  return byRun;
}

/** Links the events `earlierEvents` found to their runs (whose rows exist by now). */
export async function linkEarlierEvents(
  client: PoolClient,
  byRun: Map<string, EarlierEvent[]>,
  runIds: Map<string, string>,
): Promise<void> {
  const ids: string[] = [];
  const links: string[] = [];
  for (const [runtimeRunId, events] of byRun) {
    const runId = runIds.get(runtimeRunId);
    if (!runId) continue;
    for (const e of events) {
      ids.push(e.id);
      links.push(runId);
    }
  }
  if (ids.length === 0) return;
  await client.query(
    `UPDATE usage_events e SET run_id = u.run_id
       FROM unnest($1::bigint[], $2::uuid[]) AS u(id, run_id)
      WHERE e.id = u.id`,
    [ids, links],
  );
}
