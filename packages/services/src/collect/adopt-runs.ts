import { RUN_STEP, type RunEvent } from '@paddock/contracts';
import type { PoolClient } from 'pg';

interface CreatedFacts {
  chain: string;
  /** The chain version's content hash without its `sha256:` prefix (as `chain_versions.content_hash` keeps it). */
  contentHash: string | null;
  at: string;
}

/**
 * Runs the box knows and Postgres does not (started on the box by hand, or events that arrive before the control
 * plane wrote its row): their chain name is found from their `created` event, here or stored earlier, and when the
 * tenant has a chain of that name a `runs` row is made for them, so what a person starts on the box is visible too.
 * The control plane's own runs have their row (with `runtime_run_id`) before the box is asked to start them, so
 * this never races it; ON CONFLICT covers the case where it does.
 *
 * Returns the chain name of every run it could name (also those without a chain row, for `usage_events.chain_name`).
 */
export async function adoptRuns(
  client: PoolClient,
  input: { boxId: string; tenantId: string; runtimeRunIds: string[]; events: RunEvent[] },
): Promise<{ chainNames: Map<string, string>; adopted: number }> {
  const facts = new Map<string, CreatedFacts>();
  for (const event of input.events) {
    if (event.step !== RUN_STEP || event.kind !== 'created') continue;
    const found = createdFacts(event);
    if (found) facts.set(event.run_id, found);
  }
  const unknown = input.runtimeRunIds.filter((id) => !facts.has(id));
  if (unknown.length > 0) {
    const stored = await client.query<{ runtime_run_id: string; payload: RunEvent }>(
      `SELECT DISTINCT ON (runtime_run_id) runtime_run_id, payload
         FROM usage_events
        WHERE box_id = $1 AND runtime_run_id = ANY($2::text[]) AND type = 'created' AND step_name = $3
        ORDER BY runtime_run_id, seq`,
      [input.boxId, unknown, RUN_STEP],
    );
    for (const row of stored.rows) {
      const found = createdFacts(row.payload);
      if (found) facts.set(row.runtime_run_id, found);
    }
  }
  const chainNames = new Map([...facts].map(([id, f]) => [id, f.chain]));
  if (facts.size === 0) return { chainNames, adopted: 0 };
  const ids = [...facts.keys()];
  const adopted = await client.query(
    `INSERT INTO runs (tenant_id, box_id, chain_id, chain_version_id, runtime_run_id, status, started_at, created_at)
     SELECT $1::uuid, $2::uuid, c.id, cv.id, u.run_id, 'queued', u.at, u.at
       FROM unnest($3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS u(run_id, chain, hash, at)
       JOIN chains c ON c.tenant_id = $1::uuid AND c.name = u.chain
       LEFT JOIN chain_versions cv ON cv.chain_id = c.id AND cv.content_hash = u.hash
     ON CONFLICT (box_id, runtime_run_id) DO NOTHING`,
    [
      input.tenantId,
      input.boxId,
      ids,
      ids.map((id) => facts.get(id)?.chain),
      ids.map((id) => facts.get(id)?.contentHash ?? null),
      ids.map((id) => facts.get(id)?.at),
    ],
  );
  return { chainNames, adopted: adopted.rowCount ?? 0 };
}

function createdFacts(event: RunEvent): CreatedFacts | undefined {
  const chain = event.data?.chain;
  if (typeof chain !== 'string' || chain === '' || chain.length > 128) return undefined;
  const version = event.data?.chain_version;
  const at = Date.parse(event.timestamp);
  return {
    chain,
    contentHash: typeof version === 'string' ? version.replace(/^sha256:/, '') : null,
    at: new Date(Number.isFinite(at) ? at : Date.now()).toISOString(),
  };
}
