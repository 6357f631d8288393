import type { PoolClient } from 'pg';
import { type EventRow, type EventUsage, hasUsage } from './event-rows';

/**
 * When the watchdog kills an attempt, the runtime records the attempt's usage on the `killed` event AND on the
 * `retry`/`error` event that follows it. The books count it once: on the kill. (The payload keeps what the box said.)
 * Zeroes the usage columns of the rows that repeat a kill's usage, in this batch or stored before.
 */
export async function suppressRepeatedAttemptUsage(client: PoolClient, boxId: string, rows: EventRow[]): Promise<void> {
  const attemptKey = (run: string, step: string, attempt: number | null) => `${run}\u0000${step}\u0000${attempt ?? 1}`;
  const killedHere = new Set<string>();
  const candidates: EventRow[] = [];
  const involved = rows.filter((r) => r.type === 'killed' || r.type === 'retry' || r.type === 'error');
  for (const row of involved.sort((a, b) => a.seq - b.seq)) {
    const key = attemptKey(row.runtimeRunId, row.stepName, row.event.attempt);
    const usage = columnUsage(row);
    if (row.type === 'killed' && hasUsage(usage)) killedHere.add(key);
    if ((row.type !== 'retry' && row.type !== 'error') || !hasUsage(usage)) continue;
    if (killedHere.has(key)) zeroUsage(row);
    else candidates.push(row);
  }
  if (candidates.length === 0) return;
  const killed = await client.query<{ runtime_run_id: string; step_name: string; attempt: number | null }>(
    `SELECT runtime_run_id, step_name, (payload ->> 'attempt')::int AS attempt
       FROM usage_events
      WHERE box_id = $1 AND type = 'killed' AND runtime_run_id = ANY($2::text[]) AND step_name = ANY($3::text[])
        AND (tokens_in > 0 OR tokens_out > 0 OR cost_micros > 0)`,
    [boxId, [...new Set(candidates.map((r) => r.runtimeRunId))], [...new Set(candidates.map((r) => r.stepName))]],
  );
  const killedBefore = new Set(killed.rows.map((r) => attemptKey(r.runtime_run_id, r.step_name, r.attempt)));
  for (const row of candidates) {
    if (killedBefore.has(attemptKey(row.runtimeRunId, row.stepName, row.event.attempt))) zeroUsage(row);
  }
}

/** The usage a row puts in the books (its columns, after clamping and suppression). */
export function columnUsage(row: EventRow): EventUsage {
  return { tokensIn: row.tokensIn, tokensOut: row.tokensOut, costMicros: BigInt(row.costMicros) };
}

function zeroUsage(row: EventRow): void {
  row.tokensIn = 0;
  row.tokensOut = 0;
  row.costMicros = '0';
}
