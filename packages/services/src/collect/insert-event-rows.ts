import type { PoolClient } from 'pg';
import { type EventRow, reusedSeqKey } from './event-rows';

export interface RowLinks {
  runIds: Map<string, string>;
  chainNames: Map<string, string>;
}

/**
 * Inserts the rows with one statement (unnest of column arrays: measured several times faster than row-by-row or
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
  const result = await client.query<{ idempotency_key: string }>(
    `INSERT INTO usage_events (tenant_id, box_id, idempotency_key, runtime_run_id, seq, run_id, type, chain_name,
                               step_name, model, tokens_in, tokens_out, cost_micros, duration_ms, payload, occurred_at)
     SELECT $1::uuid, $2::uuid, u.k, u.r, u.s, u.run_id, u.t, u.c, u.st, u.m, u.ti, u.tout, u.cm, u.d, u.p::jsonb, u.o
       FROM unnest($3::text[], $4::text[], $5::int[], $6::uuid[], $7::text[], $8::text[], $9::text[], $10::text[],
                   $11::int[], $12::int[], $13::bigint[], $14::int[], $15::text[], $16::timestamptz[])
         AS u(k, r, s, run_id, t, c, st, m, ti, tout, cm, d, p, o)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING idempotency_key`,
    [
      scope.tenantId,
      scope.boxId,
      rows.map((r) => r.key),
      rows.map((r) => r.runtimeRunId),
      rows.map((r) => r.seq),
      rows.map((r) => links.runIds.get(r.runtimeRunId) ?? null),
      rows.map((r) => r.type),
      rows.map((r) => links.chainNames.get(r.runtimeRunId)?.slice(0, 128) ?? null),
      rows.map((r) => r.stepName),
      rows.map((r) => r.model),
      rows.map((r) => r.tokensIn),
      rows.map((r) => r.tokensOut),
      rows.map((r) => r.costMicros),
      rows.map((r) => r.durationMs),
      rows.map((r) => r.payload),
      rows.map((r) => r.occurredAt),
    ],
  );
  return new Set(result.rows.map((r) => r.idempotency_key));
}
