import { randomUUID } from 'node:crypto';
import { RUN_STEP, type RunEvent } from '@paddock/contracts';
import type { PoolClient } from 'pg';
import { copyField, copyRows } from './copy-rows';
import { graphOf, type LinkedRun } from './load-runs';
import { pgText } from './pg-text';
import { newRunModel } from './run-projection';

interface CreatedFacts {
  chain: string;
  /** The chain version's content hash without its `sha256:` prefix (as `chain_versions.content_hash` keeps it). */
  contentHash: string | null;
  at: string;
}

/** A run to adopt: its model starts as the row `adoptRuns` will insert, and the batch's events are folded into it. */
export interface AdoptedRun extends LinkedRun {
  chainId: string;
  chainVersionId: string | null;
  createdAt: string;
}

/**
 * Runs the box knows and Postgres does not (started on the box by hand, or events that arrive before the control
 * plane wrote its row): their chain name is found from their `created` event, here or stored earlier, and when the
 * tenant has a chain of that name they are adopted, so what a person starts on the box is visible too. Nothing is
 * written here: the caller folds the batch into the returned models and then inserts each run once, in its
 * projected state, with `insertAdoptedRuns`.
 *
 * Returns the chain name of every run it could name (also those without a chain row, for `usage_events.chain_name`).
 */
export async function planAdoption(
  client: PoolClient,
  input: { boxId: string; tenantId: string; runtimeRunIds: string[]; events: Iterable<RunEvent> },
): Promise<{ chainNames: Map<string, string>; runs: AdoptedRun[] }> {
  const wanted = new Set(input.runtimeRunIds);
  const facts = new Map<string, CreatedFacts>();
  for (const event of input.events) {
    if (event.step !== RUN_STEP || event.kind !== 'created' || !wanted.has(event.run_id)) continue;
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
  if (facts.size === 0) return { chainNames, runs: [] };
  const chains = await findChains(client, input.tenantId, [...facts.values()]);
  const runs: AdoptedRun[] = [];
  for (const [runtimeRunId, fact] of facts) {
    const chain = chains.get(chainKey(fact.chain, fact.contentHash));
    if (!chain) continue;
    const model = newRunModel(
      {
        id: randomUUID(),
        tenantId: input.tenantId,
        status: 'queued',
        tokensIn: 0,
        tokensOut: 0,
        costMicros: 0n,
        durationMs: null,
        lastEventSeq: 0,
        startedAt: new Date(fact.at),
        finishedAt: null,
        error: null,
      },
      [],
      chain.graph,
    );
    runs.push({
      runtimeRunId,
      chainName: fact.chain,
      model,
      chainId: chain.chainId,
      chainVersionId: chain.versionId,
      createdAt: fact.at,
    });
  }
  return { chainNames, runs };
}

/** Thrown when a run's row appeared while its events were being written (the batch is rolled back and retried). */
export class RunAppearedError extends Error {
  constructor(cause: unknown) {
    super('A run row was created by someone else while its events were being adopted', { cause });
    this.name = 'RunAppearedError';
  }
}

const RUN_COLUMNS = `id, tenant_id, box_id, chain_id, chain_version_id, runtime_run_id, status, tokens_in, tokens_out,
                     cost_micros, duration_ms, last_event_seq, started_at, finished_at, error, created_at`;

/**
 * Inserts the adopted runs as projected, one row each (not a queued row updated at the end of the batch: a run's
 * row has several indexes, and a status change rewrites all of them). The control plane's own runs have their row
 * (with `runtime_run_id`) before the box is asked to start them, so this does not race it; should a row appear all
 * the same, the unique (box_id, runtime_run_id) index refuses the copy and `RunAppearedError` asks for a retry.
 */
export async function insertAdoptedRuns(client: PoolClient, boxId: string, runs: AdoptedRun[]): Promise<void> {
  if (runs.length === 0) return;
  const lines = runs.map(({ model: { run }, ...adopted }) =>
    [
      run.id,
      run.tenantId,
      boxId,
      adopted.chainId,
      copyField(adopted.chainVersionId),
      copyField(adopted.runtimeRunId),
      run.status,
      run.tokensIn,
      run.tokensOut,
      run.costMicros.toString(),
      copyField(run.durationMs),
      run.lastEventSeq,
      copyField(run.startedAt?.toISOString() ?? null),
      copyField(run.finishedAt?.toISOString() ?? null),
      copyField(pgText(run.error)),
      adopted.createdAt,
    ].join('\t'),
  );
  try {
    await copyRows(client, `COPY runs (${RUN_COLUMNS}) FROM STDIN`, lines);
  } catch (error) {
    const pgError = error as { code?: string; constraint?: string };
    if (pgError.code === '23505' && pgError.constraint === 'runs_box_id_runtime_run_id_key') {
      throw new RunAppearedError(error);
    }
    throw error;
  }
}

interface ChainRow {
  chainId: string;
  versionId: string | null;
  graph: Map<string, string[]> | undefined;
}

function chainKey(chain: string, hash: string | null): string {
  return `${chain}\u0000${hash ?? ''}`;
}

/** The tenant's chains (and, when the hash is known, chain versions) the facts name, one query for all. */
async function findChains(client: PoolClient, tenantId: string, facts: CreatedFacts[]): Promise<Map<string, ChainRow>> {
  const pairs = new Map<string, { chain: string; hash: string | null }>();
  for (const f of facts) pairs.set(chainKey(f.chain, f.contentHash), { chain: f.chain, hash: f.contentHash });
  const found = await client.query<{
    chain: string;
    hash: string | null;
    chain_id: string;
    version_id: string | null;
    graph: Record<string, { needs?: unknown }> | null;
  }>(
    `SELECT u.chain, u.hash, c.id AS chain_id, cv.id AS version_id, cv.definition -> 'chain' -> 'agents' AS graph
       FROM unnest($2::text[], $3::text[]) AS u(chain, hash)
       JOIN chains c ON c.tenant_id = $1::uuid AND c.name = u.chain
       LEFT JOIN chain_versions cv ON cv.chain_id = c.id AND cv.content_hash = u.hash`,
    [tenantId, [...pairs.values()].map((p) => p.chain), [...pairs.values()].map((p) => p.hash)],
  );
  return new Map(
    found.rows.map((r) => [
      chainKey(r.chain, r.hash),
      { chainId: r.chain_id, versionId: r.version_id, graph: graphOf(r.graph) },
    ]),
  );
}

function createdFacts(event: RunEvent): CreatedFacts | undefined {
  const chain = event.data?.chain;
  // A name no chain row can have (too long, or with a NUL PostgreSQL cannot take as a parameter) adopts nothing.
  if (typeof chain !== 'string' || chain === '' || chain.length > 128 || chain.includes('\u0000')) return undefined;
  const version = event.data?.chain_version;
  const at = Date.parse(event.timestamp);
  return {
    chain,
    contentHash: typeof version === 'string' ? version.replace(/^sha256:/, '') : null,
    at: new Date(Number.isFinite(at) ? at : Date.now()).toISOString(),
  };
}
