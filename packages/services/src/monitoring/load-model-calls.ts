import type { ModelCall } from '@paddock/monitoring';
import type { ServiceClients } from '../clients';

export interface ModelCalls {
  model: string;
  /** Every tenant's calls (the operators' view). */
  all: ModelCall[];
  byTenant: Map<string, ModelCall[]>;
}

/** Models with an attempt finished since `since`, and models with an open monitoring alert. */
export async function changedModels({ prisma }: Pick<ServiceClients, 'prisma'>, since: Date): Promise<string[]> {
  const rows = await prisma.$queryRaw<Array<{ model: string }>>`
    SELECT DISTINCT model FROM run_steps
     WHERE updated_at >= ${since} AND model IS NOT NULL AND status IN ('succeeded', 'failed')
    UNION
    SELECT scope->>'model' FROM alerts
     WHERE status <> 'resolved' AND dedupe_key LIKE 'monitor:%' AND scope ? 'model'`;
  return rows.map((row) => row.model);
}

/**
 * The attempts of these models since `from`. A watchdog kill (timeout or idle) is a timeout, another failure an
 * error; a failed check is the output's fault, not the model's, so it counts as an answered call.
 */
export async function loadModelCalls(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  models: string[],
  from: Date,
): Promise<ModelCalls[]> {
  if (models.length === 0) return [];
  const rows = await prisma.$queryRaw<
    Array<{
      tenant_id: string;
      model: string;
      run_id: string;
      at: Date;
      duration_ms: number | null;
      status: string;
      error: string | null;
    }>
  >`
    SELECT tenant_id::text, model, run_id::text, finished_at AS at, duration_ms, status::text, error
      FROM run_steps
     WHERE model = ANY(${models}::text[]) AND finished_at >= ${from} AND status IN ('succeeded', 'failed')`;
  const byModel = new Map<string, ModelCalls>(models.map((model) => [model, { model, all: [], byTenant: new Map() }]));
  for (const row of rows) {
    const calls = byModel.get(row.model);
    if (!calls) continue;
    const call: ModelCall = {
      runId: row.run_id,
      at: row.at.getTime(),
      durationMs: row.duration_ms,
      outcome: outcomeOf(row),
    };
    calls.all.push(call);
    const list = calls.byTenant.get(row.tenant_id) ?? [];
    list.push(call);
    calls.byTenant.set(row.tenant_id, list);
  }
  return [...byModel.values()];
}

function outcomeOf(row: { status: string; error: string | null }): ModelCall['outcome'] {
  if (row.status === 'succeeded') return 'ok';
  const error = row.error ?? '';
  if (error.startsWith('check failed')) return 'ok';
  if (/timed out|watchdog/.test(error)) return 'timeout';
  return 'error';
}
