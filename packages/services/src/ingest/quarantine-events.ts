import type { PoolClient } from 'pg';
import { pgCut, pgText } from './pg-text';
import type { QuarantineEntry } from './screen-events';

/**
 * Records quarantined events of a box, in the transaction that moves its cursor past them, so an event is either
 * stored, quarantined, or still ahead of the cursor: never lost, never a stalled stream. The same bad event read
 * twice (a restarted stream, a second collector) has the same fingerprint and is recorded once.
 * Returns how many records are new.
 */
export async function insertQuarantine(
  client: PoolClient,
  scope: { tenantId: string; boxId: string },
  entries: QuarantineEntry[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const unique = [...new Map(entries.map((e) => [e.fingerprint, e])).values()];
  const result = await client.query(
    `INSERT INTO quarantined_events
            (tenant_id, box_id, runtime_run_id, seq, cursor, reason, detail, bytes, excerpt, fingerprint)
     SELECT $1::uuid, $2::uuid, u.run_id, u.seq, u.cursor, u.reason, u.detail, u.bytes, u.excerpt, u.fingerprint
       FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[])
         AS u(run_id, seq, cursor, reason, detail, bytes, excerpt, fingerprint)
     ON CONFLICT (box_id, fingerprint) DO NOTHING`,
    [
      scope.tenantId,
      scope.boxId,
      unique.map((e) => pgCut(e.runId ?? null, 128)),
      // A seq that is not a whole number a bigint holds is kept in the excerpt only.
      unique.map((e) => (e.seq !== undefined && Number.isSafeInteger(e.seq) ? String(e.seq) : null)),
      unique.map((e) => pgCut(e.cursor ?? null, 200)),
      unique.map((e) => e.reason),
      unique.map((e) => pgCut(e.detail, 300)),
      unique.map((e) => String(e.bytes)),
      unique.map((e) => pgText(e.excerpt)),
      unique.map((e) => e.fingerprint),
    ],
  );
  return result.rowCount ?? 0;
}

/**
 * Run ids among `runtimeRunIds` that are the control plane's ids of runs NOT on this box (another box's, maybe
 * another tenant's). The control plane names each run it starts by its row id (a UUID), so a box naming one that is
 * not its own is lying; its events are quarantined, and nothing is written for that run or its tenant. (Other
 * unknown run ids are runs started on the box by hand: kept under this box and adopted once the chain is known.)
 */
export async function foreignRunIds(client: PoolClient, boxId: string, runtimeRunIds: string[]): Promise<Set<string>> {
  const candidates = runtimeRunIds.filter((id) => UUID.test(id));
  if (candidates.length === 0) return new Set();
  const { rows } = await client.query<{ id: string }>(
    `SELECT id::text AS id FROM runs WHERE id = ANY($2::uuid[]) AND box_id IS DISTINCT FROM $1::uuid`,
    [boxId, candidates],
  );
  // Lower case, as PostgreSQL prints uuids: callers compare `runId.toLowerCase()`.
  return new Set(rows.map((r) => r.id));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
