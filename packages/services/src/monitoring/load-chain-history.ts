import type { CostRun, StepAttempt, VersionRun } from '@paddock/monitoring';
import type { ServiceClients } from '../clients';

export interface ChainRef {
  tenantId: string;
  chainId: string;
}

export interface ChainHistory extends ChainRef {
  runs: Array<CostRun & { chainVersionId: string | null }>;
  /** Attempts by step name. */
  steps: Map<string, StepAttempt[]>;
  /** Runs by chain version, with whether their checks passed. */
  versions: Map<string, VersionRun[]>;
}

/** Chains with a run that finished (or changed) since `since`, and chains with an open monitoring alert. */
export async function changedChains({ prisma }: Pick<ServiceClients, 'prisma'>, since: Date): Promise<ChainRef[]> {
  const rows = await prisma.$queryRaw<Array<{ tenant_id: string; chain_id: string }>>`
    SELECT DISTINCT tenant_id::text, chain_id::text FROM runs
     WHERE updated_at >= ${since} AND status IN ('succeeded', 'failed')
    UNION
    SELECT scope->>'tenantId', scope->>'chainId' FROM alerts
     WHERE status <> 'resolved' AND dedupe_key LIKE 'monitor:%' AND scope ? 'chainId' AND scope ? 'tenantId'`;
  return rows.map((row) => ({ tenantId: row.tenant_id, chainId: row.chain_id }));
}

/** The finished runs and step attempts of these chains since `from`, in two queries for the whole batch. */
export async function loadChainHistory(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  chains: ChainRef[],
  from: Date,
): Promise<ChainHistory[]> {
  if (chains.length === 0) return [];
  const ids = chains.map((chain) => chain.chainId);
  const runs = await prisma.$queryRaw<
    Array<{
      id: string;
      chain_id: string;
      chain_version_id: string | null;
      finished_at: Date;
      cost: bigint;
      tokens: bigint;
      output_bytes: bigint | null;
    }>
  >`
    SELECT id::text, chain_id::text, chain_version_id::text, finished_at, cost_micros AS cost,
           (tokens_in::bigint + tokens_out::bigint) AS tokens,
           -- A run's output: what its succeeded attempts wrote (null when the box's runtime reported no sizes).
           (SELECT sum(s.output_bytes)::bigint FROM run_steps s
             WHERE s.run_id = runs.id AND s.status = 'succeeded') AS output_bytes
      FROM runs
     WHERE chain_id = ANY(${ids}::uuid[]) AND finished_at >= ${from} AND status IN ('succeeded', 'failed')`;
  const attempts = await prisma.$queryRaw<
    Array<{
      run_id: string;
      chain_id: string;
      name: string;
      attempt: number;
      status: string;
      check_failed: boolean;
      at: Date;
      output_bytes: bigint | null;
    }>
  >`
    SELECT s.run_id::text, r.chain_id::text, s.name, s.attempt, s.status::text,
           (s.status = 'failed' AND s.error LIKE 'check failed%') AS check_failed,
           COALESCE(s.finished_at, r.finished_at) AS at,
           CASE WHEN s.status = 'succeeded' THEN s.output_bytes END AS output_bytes
      FROM run_steps s JOIN runs r ON r.id = s.run_id
     WHERE r.chain_id = ANY(${ids}::uuid[]) AND r.finished_at >= ${from} AND r.status IN ('succeeded', 'failed')
       AND s.status IN ('succeeded', 'failed')`;
  const byChain = new Map<string, ChainHistory>(
    chains.map((chain) => [chain.chainId, { ...chain, runs: [], steps: new Map(), versions: new Map() }]),
  );
  const checkFailedRuns = new Set<string>();
  for (const row of attempts) {
    const history = byChain.get(row.chain_id);
    if (!history) continue;
    if (row.check_failed) checkFailedRuns.add(row.run_id);
    const list = history.steps.get(row.name) ?? [];
    list.push({
      runId: row.run_id,
      at: row.at.getTime(),
      attempt: row.attempt,
      outcome: row.status === 'succeeded' ? 'passed' : row.check_failed ? 'check_failed' : 'failed',
      // From the attempt's ending event (run_steps.output_bytes); only successful attempts' outputs are judged.
      outputBytes: row.output_bytes === null ? null : Number(row.output_bytes),
    });
    history.steps.set(row.name, list);
  }
  for (const row of runs) {
    const history = byChain.get(row.chain_id);
    if (!history) continue;
    const run = {
      runId: row.id,
      at: row.finished_at.getTime(),
      costMicros: Number(row.cost),
      tokens: Number(row.tokens),
      chainVersionId: row.chain_version_id,
    };
    history.runs.push(run);
    if (row.chain_version_id) {
      const list = history.versions.get(row.chain_version_id) ?? [];
      list.push({
        runId: run.runId,
        at: run.at,
        tokens: run.tokens,
        outputBytes: row.output_bytes === null ? null : Number(row.output_bytes),
        checksPassed: !checkFailedRuns.has(row.id),
      });
      history.versions.set(row.chain_version_id, list);
    }
  }
  return [...byChain.values()];
}
