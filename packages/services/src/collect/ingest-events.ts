import { AppError, type RunEvent, RunEventSchema } from '@paddock/contracts';
import type { Pool, PoolClient } from 'pg';
import { adoptRuns } from './adopt-runs';
import { type EventRow, type EventUsage, eventRow, hasUsage, usageOf } from './event-rows';
import { insertEventRows } from './insert-event-rows';
import { type LinkedRun, loadRuns } from './load-runs';
import { applyEvent } from './run-projection';
import { storeRuns } from './store-runs';

export interface IngestBatch {
  boxId: string;
  tenantId: string;
  /** The collector holding the box's lease: the batch commits only while it still holds it. */
  ownerId: string;
  /** The stored cursor this batch continues from: the batch commits only if it is still the stored one. */
  fromCursor: string;
  /** The cursor after the batch's last event, stored in the same transaction as the events. */
  toCursor: string;
  /** In the order the box delivered them. */
  events: RunEvent[];
}

export interface IngestResult {
  /** Events stored now (the rest were stored before: a batch read twice). */
  inserted: number;
  duplicates: number;
  runsUpdated: number;
  runsAdopted: number;
  decisionsChanged: number;
}

/** The stored cursor moved (another collector took the box over, or this one lost track): nothing was written. */
export class CursorMovedError extends AppError {
  constructor(
    readonly boxId: string,
    readonly stored: { cursor: string; ownerId: string | null } | null,
  ) {
    super(
      'conflict',
      stored
        ? `Box ${boxId}: the stored cursor is ${JSON.stringify(stored.cursor)} held by ${stored.ownerId ?? 'nobody'}; the batch was not written`
        : `Box ${boxId} has no collector cursor; the batch was not written`,
    );
    this.name = 'CursorMovedError';
  }
}

/**
 * Writes a batch of a box's events in ONE transaction: the events (idempotent on `boxId:runId:seq`), the runs,
 * steps and decisions they change, and the box's cursor. The cursor moves by compare-and-set on (owner, cursor),
 * so a crash anywhere either keeps all of it or none, and a collector that lost the box writes nothing.
 */
export async function ingestEvents(pool: Pool, batch: IngestBatch): Promise<IngestResult> {
  return inTransaction(pool, async (client) => {
    // First: claim the cursor row. It serialises batches of one box and fences off a collector that lost the lease.
    const claimed = await client.query(
      `UPDATE collector_cursors SET cursor = $4, updated_at = now()
        WHERE box_id = $1 AND owner_id = $2 AND cursor = $3`,
      [batch.boxId, batch.ownerId, batch.fromCursor, batch.toCursor],
    );
    if (claimed.rowCount !== 1) throw new CursorMovedError(batch.boxId, await storedCursor(client, batch.boxId));
    return writeEvents(client, batch);
  });
}

/**
 * Writes events that did not come through the box's stream (an import of `chainctl events --json` output, a
 * backfill): the same idempotent rows and projections in one transaction, but the stream's cursor is left alone.
 * The box's cursor row is locked for the transaction, so an import and the live collector never interleave batches.
 */
export async function importEvents(
  pool: Pool,
  batch: { boxId: string; tenantId: string; events: RunEvent[] },
): Promise<IngestResult> {
  return inTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO collector_cursors (box_id, tenant_id) VALUES ($1, $2) ON CONFLICT (box_id) DO NOTHING`,
      [batch.boxId, batch.tenantId],
    );
    await client.query('SELECT 1 FROM collector_cursors WHERE box_id = $1 FOR UPDATE', [batch.boxId]);
    return writeEvents(client, batch);
  });
}

async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

async function writeEvents(
  client: PoolClient,
  batch: { boxId: string; tenantId: string; events: RunEvent[] },
): Promise<IngestResult> {
  const receivedAt = new Date().toISOString();
  const rows = uniqueRows(batch.events.map((event) => eventRow(batch.boxId, event, receivedAt)));
  const runtimeRunIds = [...new Set(rows.map((r) => r.runtimeRunId))];
  let runs = await loadRuns(client, batch.boxId, runtimeRunIds);
  const unlinked = runtimeRunIds.filter((id) => !runs.has(id));
  let chainNames = new Map<string, string>();
  let runsAdopted = 0;
  if (unlinked.length > 0) {
    const adoption = await adoptRuns(client, { ...batch, runtimeRunIds: unlinked, events: batch.events });
    chainNames = adoption.chainNames;
    runsAdopted = adoption.adopted;
    if (adoption.adopted > 0) runs = await loadRuns(client, batch.boxId, runtimeRunIds);
  }
  // Events stored before the run had a row (or before it was ever projected) are linked and folded in first.
  const earlier = await linkEarlierEvents(client, batch.boxId, [...runs.values()]);
  for (const linked of runs.values()) chainNames.set(linked.runtimeRunId, linked.chainName);

  await suppressRepeatedAttemptUsage(client, batch.boxId, rows);
  const runIds = new Map([...runs].map(([id, linked]) => [id, linked.model.run.id]));
  const inserted = await insertEventRows(client, batch, rows, { runIds, chainNames });
  const counted = new Set(inserted.map((r) => r.event));

  for (const { event, counted: usage } of earlier) {
    const linked = runs.get(event.run_id);
    if (linked) applyEvent(linked.model, event, usage, usageOf(event));
  }
  for (const row of [...rows].sort((a, b) => a.seq - b.seq)) {
    const linked = runs.get(row.runtimeRunId);
    if (linked)
      applyEvent(linked.model, row.event, counted.has(row.event) ? columnUsage(row) : null, usageOf(row.event));
  }
  const stored = await storeRuns(client, batch.boxId, [...runs.values()]);

  const lastAt = rows.reduce<string | null>(
    (max, r) => (max === null || r.occurredAt > max ? r.occurredAt : max),
    null,
  );
  await client.query(
    `UPDATE collector_cursors SET events_ingested = events_ingested + $2,
            last_event_at = GREATEST(last_event_at, $3::timestamptz)
      WHERE box_id = $1`,
    [batch.boxId, inserted.length, lastAt],
  );
  return {
    inserted: inserted.length,
    duplicates: batch.events.length - inserted.length,
    runsUpdated: stored.runsUpdated,
    runsAdopted,
    decisionsChanged: stored.decisionsChanged,
  };
}

async function storedCursor(client: PoolClient, boxId: string) {
  const row = await client.query<{ cursor: string; owner_id: string | null }>(
    'SELECT cursor, owner_id FROM collector_cursors WHERE box_id = $1',
    [boxId],
  );
  const found = row.rows[0];
  return found ? { cursor: found.cursor, ownerId: found.owner_id } : null;
}

/** One row per key: a stream that repeats an event inside one batch must not count it twice. */
function uniqueRows(rows: EventRow[]): EventRow[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    if (seen.has(row.key)) return false;
    seen.add(row.key);
    return true;
  });
}

function columnUsage(row: EventRow): EventUsage {
  return { tokensIn: row.tokensIn, tokensOut: row.tokensOut, costMicros: BigInt(row.costMicros) };
}

/**
 * Runs never projected (last_event_seq 0) may have events stored before their row existed: link those rows to the
 * run and hand them back, in seq order, to be folded in with their usage (they were never counted on a run).
 */
async function linkEarlierEvents(
  client: PoolClient,
  boxId: string,
  runs: LinkedRun[],
): Promise<{ event: RunEvent; counted: EventUsage }[]> {
  const fresh = runs.filter((r) => r.model.run.lastEventSeq === 0);
  if (fresh.length === 0) return [];
  const linked = await client.query<{ payload: unknown; tokens_in: number; tokens_out: number; cost_micros: string }>(
    `UPDATE usage_events e SET run_id = u.run_id
       FROM unnest($2::text[], $3::uuid[]) AS u(runtime_run_id, run_id)
      WHERE e.box_id = $1 AND e.runtime_run_id = u.runtime_run_id AND e.run_id IS NULL
      RETURNING e.payload, e.tokens_in, e.tokens_out, e.cost_micros::text AS cost_micros`,
    [boxId, fresh.map((r) => r.runtimeRunId), fresh.map((r) => r.model.run.id)],
  );
  const events: { event: RunEvent; counted: EventUsage }[] = [];
  for (const row of linked.rows) {
    const event = withDefaults(row.payload);
    const counted = { tokensIn: row.tokens_in, tokensOut: row.tokens_out, costMicros: BigInt(row.cost_micros) };
    if (event) events.push({ event, counted });
  }
  return events.sort((a, b) => a.event.seq - b.event.seq);
}

/** Stored payloads leave null fields out; parsing restores the schema's defaults. */
function withDefaults(payload: unknown): RunEvent | undefined {
  const parsed = RunEventSchema.safeParse(payload);
  return parsed.success ? parsed.data : undefined;
}

/**
 * When the watchdog kills an attempt, the runtime records the attempt's usage on the `killed` event AND on the
 * `retry`/`error` event that follows it. The books count it once: on the kill. (The payload keeps what the box said.)
 */
async function suppressRepeatedAttemptUsage(client: PoolClient, boxId: string, rows: EventRow[]): Promise<void> {
  const attemptKey = (run: string, step: string, attempt: number | null) => `${run}\u0000${step}\u0000${attempt ?? 1}`;
  const killedHere = new Set<string>();
  const candidates: EventRow[] = [];
  for (const row of [...rows].sort((a, b) => a.seq - b.seq)) {
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

function zeroUsage(row: EventRow): void {
  row.tokensIn = 0;
  row.tokensOut = 0;
  row.costMicros = '0';
}
