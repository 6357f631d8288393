import { AppError, type RunEvent } from '@paddock/contracts';
import type { Pool, PoolClient } from 'pg';
import { BatchRater, rateEventRows } from '../billing/rate-event-rows';
import { type ChangeTopic, notifyChanges } from '../changes/change-topics';
import { type AdoptedRun, insertAdoptedRuns, planAdoption, RunAppearedError } from './adopt-runs';
import { columnUsage, suppressRepeatedAttemptUsage } from './attempt-usage';
import { earlierEvents, linkEarlierEvents } from './earlier-events';
import { type EventRow, eventRows, usageOf } from './event-rows';
import { copyEventLines, eventRowLines, newEventRows } from './insert-event-rows';
import { loadRuns } from './load-runs';
import { foreignRunIds, insertQuarantine } from './quarantine-events';
import { applyEvent, settleRunStatus } from './run-projection';
import { type QuarantineEntry, quarantineEvent, screenEvent } from './screen-events';
import { planRunWrites, storeRuns } from './store-runs';
import { raiseWatchdogAlerts } from './watchdog-alerts';
import type { ServiceClients } from '../clients';

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
  /** The stream position after each event (same order), recorded with the ones quarantined. */
  cursors?: string[];
  /** Events the channel or the collector already refused (their positions are inside this batch's range). */
  quarantined?: QuarantineEntry[];
}

export interface IngestResult {
  /** Events stored now (the rest were stored before: a batch read twice). */
  inserted: number;
  duplicates: number;
  runsUpdated: number;
  runsAdopted: number;
  decisionsChanged: number;
  /** Quarantine records written now (a bad event read twice is recorded once). */
  quarantined: number;
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
export async function ingestEvents(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  batch: IngestBatch,
): Promise<IngestResult> {
  const screened = screenEvents(batch.events, batch.cursors);
  const quarantined = [...(batch.quarantined ?? []), ...screened.quarantined];
  const rows = eventRows(batch.boxId, screened.events, new Date().toISOString());
  return inTransaction(pool, async (client) => {
    // First: claim the cursor row. It serialises batches of one box and fences off a collector that lost the lease.
    const claimed = await client.query(
      `UPDATE collector_cursors SET cursor = $4, updated_at = now()
        WHERE box_id = $1 AND owner_id = $2 AND cursor = $3`,
      [batch.boxId, batch.ownerId, batch.fromCursor, batch.toCursor],
    );
    if (claimed.rowCount !== 1) throw new CursorMovedError(batch.boxId, await storedCursor(client, batch.boxId));
    return writeScreened(client, batch, rows, quarantined, screened.cursorOf);
  });
}

/**
 * The batch's events split into those that can be stored and quarantine records of the rest (`screenEvent`). Values
 * that would make an INSERT fail never get past this, so one bad event cannot stall a box.
 */
function screenEvents(
  events: RunEvent[],
  cursors: string[] | undefined,
): { events: RunEvent[]; quarantined: QuarantineEntry[]; cursorOf: (event: RunEvent) => string | undefined } {
  const kept: RunEvent[] = [];
  const quarantined: QuarantineEntry[] = [];
  const positions = new Map<RunEvent, string>();
  events.forEach((event, i) => {
    const cursor = cursors?.[i];
    if (cursor !== undefined) positions.set(event, cursor);
    const refused = screenEvent(event);
    if (refused) quarantined.push(quarantineEvent(event, refused.reason, refused.detail, cursor));
    else kept.push(event);
  });
  return { events: kept, quarantined, cursorOf: (event) => positions.get(event) };
}

/**
 * `writeEvents` for screened rows, after one more check that needs the database: events naming a run of another
 * box are quarantined (never written, for this tenant or the run's). Then the quarantine records, same transaction.
 */
async function writeScreened(
  client: PoolClient,
  scope: { boxId: string; tenantId: string },
  rows: EventRow[],
  quarantined: QuarantineEntry[],
  cursorOf: (event: RunEvent) => string | undefined,
): Promise<IngestResult> {
  const foreign = await foreignRunIds(client, scope.boxId, [...new Set(rows.map((r) => r.runtimeRunId))]);
  const own = foreign.size === 0 ? rows : rows.filter((r) => !foreign.has(r.runtimeRunId.toLowerCase()));
  const entries = [...quarantined];
  if (own.length < rows.length) {
    for (const row of rows) {
      if (!foreign.has(row.runtimeRunId.toLowerCase())) continue;
      entries.push(
        quarantineEvent(row.event, 'foreign_run', 'the run id is a run of another box', cursorOf(row.event)),
      );
    }
  }
  const result = await writeEvents(client, scope, own, own.length);
  return { ...result, quarantined: await insertQuarantine(client, scope, entries) };
}

/**
 * Writes events that did not come through the box's stream (an import of `chainctl events --json` output, a
 * backfill): the same idempotent rows and projections in one transaction, but the stream's cursor is left alone.
 * The box's cursor row is locked for the transaction, so an import and the live collector never interleave batches.
 */
export async function importEvents(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  batch: { boxId: string; tenantId: string; events: RunEvent[] },
): Promise<IngestResult> {
  const screened = screenEvents(batch.events, undefined);
  const rows = eventRows(batch.boxId, screened.events, new Date().toISOString());
  return inTransaction(pool, async (client) => {
    await lockCursorRow(client, batch);
    return writeScreened(client, batch, rows, screened.quarantined, screened.cursorOf);
  });
}

/**
 * `importEvents` for rows already made with `eventRows` (a bulk import makes the next batch's rows while the
 * previous one is being written). `received` is how many events the rows came from (for the duplicates count).
 */
export async function importEventRows(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  batch: { boxId: string; tenantId: string; rows: EventRow[]; received: number },
): Promise<IngestResult> {
  return inTransaction(pool, async (client) => {
    await lockCursorRow(client, batch);
    return { ...(await writeEvents(client, batch, batch.rows, batch.received)), quarantined: 0 };
  });
}

async function lockCursorRow(client: PoolClient, batch: { boxId: string; tenantId: string }): Promise<void> {
  await client.query(
    `INSERT INTO collector_cursors (box_id, tenant_id) VALUES ($1, $2) ON CONFLICT (box_id) DO NOTHING`,
    [batch.boxId, batch.tenantId],
  );
  await client.query('SELECT 1 FROM collector_cursors WHERE box_id = $1 FOR UPDATE', [batch.boxId]);
}

/**
 * Runs `work` in one transaction. A `RunAppearedError` (a run's row was created by someone else while the batch
 * adopted it) rolls it back and runs it once more: the second time the row is there and is simply loaded.
 */
async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  try {
    return await inOneTransaction(pool, work);
  } catch (error) {
    if (error instanceof RunAppearedError) return inOneTransaction(pool, work);
    throw error;
  }
}

async function inOneTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out connection that dies (PostgreSQL restarting) emits 'error' on the client, and an 'error' nobody
  // listens to ends the process: the collector's worker crashed on the first restart. The statement in flight
  // rejects with the same error, which is what the caller handles; the dead connection is dropped, not pooled.
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

async function writeEvents(
  client: PoolClient,
  scope: { boxId: string; tenantId: string },
  rows: EventRow[],
  received: number,
): Promise<Omit<IngestResult, 'quarantined'>> {
  const { boxId } = scope;
  const runtimeRunIds = [...new Set(rows.map((r) => r.runtimeRunId))];
  const runs = await loadRuns(client, boxId, runtimeRunIds);
  const unlinked = runtimeRunIds.filter((id) => !runs.has(id));
  const chainNames = new Map<string, string>();
  let adopted: AdoptedRun[] = [];
  if (unlinked.length > 0) {
    const adoption = await planAdoption(client, {
      ...scope,
      runtimeRunIds: unlinked,
      events: rows.map((r) => r.event),
    });
    for (const [id, name] of adoption.chainNames) chainNames.set(id, name);
    adopted = adoption.runs;
    for (const run of adopted) runs.set(run.runtimeRunId, run);
  }
  for (const linked of runs.values()) chainNames.set(linked.runtimeRunId, linked.chainName);
  // Events stored before the run had a row (or before it was ever projected) are folded in first.
  const earlier = await earlierEvents(client, boxId, [...runs.values()]);

  await suppressRepeatedAttemptUsage(client, boxId, rows);
  // The control plane's price, in this transaction: the charge is stored with the event, exactly once. Step rows
  // show an attempt's usage as its event reports it, charged at the same prices (`attemptUsage`).
  const rater = await BatchRater.load(client, [
    ...rows.map((r) => r.model),
    ...[...earlier.values()].flatMap((events) => events.map((e) => e.event.model)),
  ]);
  rateEventRows(rater, rows);
  const attemptUsage = (event: RunEvent, at: string) => {
    const usage = usageOf(event);
    return { ...usage, costMicros: rater.attemptMicros(event, new Date(at), usage) };
  };
  const fresh = await newEventRows(client, boxId, rows);
  const counted = new Set(fresh.map((r) => r.event));

  for (const [runtimeRunId, events] of earlier) {
    const linked = runs.get(runtimeRunId);
    if (linked)
      for (const e of events) applyEvent(linked.model, e.event, e.counted, attemptUsage(e.event, e.event.timestamp));
  }
  for (const row of [...rows].sort((a, b) => a.seq - b.seq)) {
    const linked = runs.get(row.runtimeRunId);
    if (linked)
      applyEvent(
        linked.model,
        row.event,
        counted.has(row.event) ? columnUsage(row) : null,
        attemptUsage(row.event, row.occurredAt),
      );
  }
  for (const linked of runs.values()) settleRunStatus(linked.model);

  // Each write's rows are made while the database does the previous write. Runs first (events, steps and
  // decisions refer to them), each adopted one inserted once, as projected.
  const runsWritten = insertAdoptedRuns(client, boxId, adopted);
  const runIds = new Map([...runs].map(([id, linked]) => [id, linked.model.run.id]));
  const eventLines = eventRowLines(scope, fresh, { runIds, chainNames });
  await runsWritten;
  await linkEarlierEvents(client, earlier, runIds);
  const eventsWritten = copyEventLines(client, eventLines);
  eventsWritten.catch(() => {}); // awaited below; not to be reported as unhandled should planning throw first
  const plan = planRunWrites([...runs.values()], new Set(adopted));
  await eventsWritten;
  await raiseWatchdogAlerts(client, scope, fresh, { runIds, chainNames });
  const stored = await storeRuns(client, boxId, plan);
  const lastAt = rows.reduce<string | null>(
    (max, r) => (max === null || r.occurredAt > max ? r.occurredAt : max),
    null,
  );
  await client.query(
    `UPDATE collector_cursors SET events_ingested = events_ingested + $2,
            last_event_at = GREATEST(last_event_at, $3::timestamptz)
      WHERE box_id = $1`,
    [boxId, fresh.length, lastAt],
  );
  // Streams waiting in API processes look again once this commits (the notifications go out with the commit).
  const changed: ChangeTopic[] = [...runs.values()].map((linked) => ({ kind: 'run', runId: linked.model.run.id }));
  if (stored.decisionsChanged > 0) changed.push({ kind: 'decisions', tenantId: scope.tenantId });
  await notifyChanges(client, changed);
  return {
    inserted: fresh.length,
    duplicates: received - fresh.length,
    runsUpdated: stored.runsUpdated,
    runsAdopted: adopted.length,
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
