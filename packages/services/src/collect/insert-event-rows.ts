import type { PoolClient } from 'pg';
import { type EventRow, reusedSeqKey } from './event-rows';

export interface RowLinks {
  runIds: Map<string, string>;
  chainNames: Map<string, string>;
}

/**
 * Inserts the rows with one statement (a set of JSON records: measured several times faster than row-by-row or
 * Prisma's createMany for batches of thousands), skipping keys already stored. Returns the rows that were new.
 *
 * A key that exists with a different event behind it (another timestamp, kind or step) means the box handed the
 * same seq out twice: that event is stored under its `reusedSeqKey` instead of being dropped.
 */
export async function insertEventRows(
  client: PoolClient,
  scope: { tenantId: string; boxId: string },
  rows: EventRow[],
  links: RowLinks,
): Promise<EventRow[]> {
  if (rows.length === 0) return [];
  const inserted = await insertRows(client, scope, rows, links);
  if (inserted.size === rows.length) return rows;
  const skipped = rows.filter((r) => !inserted.has(r.key));
  const stored = await client.query<{ idempotency_key: string; type: string; step_name: string | null; at: string }>(
    `SELECT idempotency_key, type, step_name, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
       FROM usage_events WHERE idempotency_key = ANY($1::text[])`,
    [skipped.map((r) => r.key)],
  );
  const byKey = new Map(stored.rows.map((r) => [r.idempotency_key, r]));
  const reused = skipped
    .filter((row) => {
      const existing = byKey.get(row.key);
      return (
        existing &&
        (existing.at !== row.occurredAt || existing.type !== row.type || existing.step_name !== row.stepName)
      );
    })
    .map((row) => ({ ...row, key: reusedSeqKey(scope.boxId, row.runtimeRunId, row.seq, row.occurredAt) }));
  const insertedAgain = reused.length > 0 ? await insertRows(client, scope, reused, links) : new Set<string>();
  return [...rows.filter((r) => inserted.has(r.key)), ...reused.filter((r) => insertedAgain.has(r.key))];
}

async function insertRows(
  client: PoolClient,
  scope: { tenantId: string; boxId: string },
  rows: EventRow[],
  links: RowLinks,
): Promise<Set<string>> {
  // One JSON parameter rather than one array per column: JSON.stringify is native, while pg's array literal
  // encoding escapes element by element in JavaScript (measured: most of the batch's client-side time).
  const records = JSON.stringify(
    rows.map((r) => ({
      k: r.key,
      r: r.runtimeRunId,
      s: r.seq,
      run_id: links.runIds.get(r.runtimeRunId) ?? null,
      t: r.type,
      c: links.chainNames.get(r.runtimeRunId)?.slice(0, 128) ?? null,
      st: r.stepName,
      m: r.model,
      ti: r.tokensIn,
      tout: r.tokensOut,
      cm: r.costMicros,
      d: r.durationMs,
      p: r.payload,
      o: r.occurredAt,
    })),
  );
  const result = await client.query<{ idempotency_key: string }>(
    `INSERT INTO usage_events (tenant_id, box_id, idempotency_key, runtime_run_id, seq, run_id, type, chain_name,
                               step_name, model, tokens_in, tokens_out, cost_micros, duration_ms, payload, occurred_at)
     SELECT $1::uuid, $2::uuid, u.k, u.r, u.s, u.run_id, u.t, u.c, u.st, u.m, u.ti, u.tout, u.cm, u.d, u.p::jsonb, u.o
       FROM json_to_recordset($3::json)
         AS u(k text, r text, s int, run_id uuid, t text, c text, st text, m text, ti int, tout int, cm bigint, d int,
              p text, o timestamptz)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING idempotency_key`,
    [scope.tenantId, scope.boxId, records],
  );
  return new Set(result.rows.map((r) => r.idempotency_key));
}
