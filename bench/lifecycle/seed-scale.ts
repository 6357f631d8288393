import { generateApiKey } from '@paddock/vault';
import type { Pool, PoolClient } from 'pg';

export interface ScaleSeed {
  tenants: number;
  runs: number;
  /** Tenants whose API keys the load uses (their runs also get steps, decisions and usage rows). */
  sampled: { tenantId: string; key: string; runIds: string[] }[];
}

/**
 * A database the size the issue names: `tenants` active tenants with a box and a chain each, `runs` runs spread
 * over them (and over the last 30 days), one usage row per run. Written with set-based SQL so 1,000,000 runs take
 * seconds, not the hours a row-by-row API replay would. Steps and pending decisions are written for the sampled
 * tenants only: those are the rows the measured reads touch.
 */
export async function seedAtScale(
  pool: Pool,
  options: { tenants: number; runs: number; sampled: number },
  log: (line: string) => void,
): Promise<ScaleSeed> {
  const client = await pool.connect();
  try {
    // Bulk load as a restore would: foreign-key triggers off for this session (every id written here comes from
    // the rows it joins, so nothing dangles), on again before anything is read.
    await client.query(`SET session_replication_role = replica`);
    return await seedWith(client, options, log);
  } finally {
    await client.query(`SET session_replication_role = DEFAULT`).catch(() => {});
    client.release();
  }
}

async function seedWith(
  pool: PoolClient,
  options: { tenants: number; runs: number; sampled: number },
  log: (line: string) => void,
): Promise<ScaleSeed> {
  const plan = await pool.query<{ id: string }>(`SELECT id FROM plans ORDER BY sort_order LIMIT 1`);
  const planId = plan.rows[0]?.id;
  if (!planId) throw new Error('seedAtScale: no plan in the database (seedPlans first)');
  const step = async (label: string, sql: string, params: unknown[] = []) => {
    const started = performance.now();
    const result = await pool.query(sql, params);
    log(`seed: ${label}: ${result.rowCount ?? 0} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  await step(
    'tenants',
    `INSERT INTO tenants (slug, name, status, plan_id, activated_at)
     SELECT 'scale-' || i, 'Scale ' || i, 'active', $1, now() FROM generate_series(1, $2::int) i`,
    [planId, options.tenants],
  );
  await pool.query(`CREATE TABLE scale_tenants AS
    SELECT id, substring(slug from 7)::int AS n FROM tenants WHERE slug LIKE 'scale-%'`);
  await pool.query(`CREATE UNIQUE INDEX ON scale_tenants (n)`);
  await step(
    'boxes',
    `INSERT INTO boxes (tenant_id, provider, provider_id, name, status, address)
     SELECT id, 'local', 'scale-' || n, 'scale-' || n, 'ready', '127.77.0.1' FROM scale_tenants`,
  );
  await step(`chains`, `INSERT INTO chains (tenant_id, name) SELECT id, 'review' FROM scale_tenants`);
  await step(
    'runs',
    `INSERT INTO runs (tenant_id, box_id, chain_id, runtime_run_id, status, tokens_in, tokens_out, cost_micros,
                       duration_ms, last_event_seq, created_at, started_at, finished_at)
     SELECT t.id, b.id, c.id, 'run-' || g,
            (ARRAY['succeeded','succeeded','succeeded','failed','waiting_decision','running'])[1 + g % 6]::run_status,
            1000 + g % 5000, 200 + g % 900, (g % 90000)::bigint, 3000 + g % 60000, 9,
            now() - ((g::bigint * 7919) % 43200) * interval '1 minute',
            now() - ((g::bigint * 7919) % 43200) * interval '1 minute',
            now() - ((g::bigint * 7919) % 43200) * interval '1 minute' + interval '40 seconds'
       FROM generate_series(1, $1::int) g
       JOIN scale_tenants t ON t.n = 1 + g % $2::int
       JOIN boxes b ON b.tenant_id = t.id
       JOIN chains c ON c.tenant_id = t.id`,
    [options.runs, options.tenants],
  );
  await step(
    'usage events (one per run)',
    `INSERT INTO usage_events (tenant_id, box_id, idempotency_key, runtime_run_id, seq, run_id, type, chain_name,
                               step_name, model, tokens_in, tokens_out, cost_micros, duration_ms, occurred_at)
     SELECT r.tenant_id, r.box_id, r.box_id || ':' || r.runtime_run_id || ':9', r.runtime_run_id, 9, r.id,
            'complete', 'review', 'write', 'claude-sonnet', r.tokens_in, r.tokens_out, r.cost_micros, r.duration_ms,
            r.finished_at
       FROM runs r`,
  );
  const sampled = await pool.query<{ id: string }>(`SELECT id FROM scale_tenants WHERE n <= $1 ORDER BY n`, [
    options.sampled,
  ]);
  const ids = sampled.rows.map((r) => r.id);
  await step(
    'steps of the sampled tenants',
    `INSERT INTO run_steps (tenant_id, run_id, name, position, status, model, tokens_in, tokens_out, cost_micros,
                            duration_ms, exit_code, started_at, finished_at)
     SELECT r.tenant_id, r.id, s.name, s.position, 'succeeded', 'claude-sonnet', r.tokens_in / 3, r.tokens_out / 3,
            r.cost_micros / 3, r.duration_ms / 3, 0, r.started_at, r.finished_at
       FROM runs r CROSS JOIN (VALUES ('draft', 0), ('review', 1), ('write', 2)) AS s(name, position)
      WHERE r.tenant_id = ANY($1::uuid[])`,
    [ids],
  );
  await step(
    'pending decisions of the sampled tenants',
    `INSERT INTO decisions (tenant_id, run_id, box_id, runtime_decision_id, step_name, status, prompt)
     SELECT r.tenant_id, r.id, r.box_id, 'approve-1', 'approve', 'pending', 'Publish this draft?'
       FROM runs r WHERE r.tenant_id = ANY($1::uuid[]) AND r.status = 'waiting_decision'`,
    [ids],
  );
  const keys = ids.map(() => generateApiKey());
  await pool.query(
    `INSERT INTO api_keys (tenant_id, name, prefix, key_hash)
     SELECT t, 'bench', p, h FROM unnest($1::uuid[], $2::text[], $3::text[]) AS k(t, p, h)`,
    [ids, keys.map((k) => k.prefix), keys.map((k) => k.hash)],
  );
  const runs = await pool.query<{ tenant_id: string; ids: string[] }>(
    `SELECT tenant_id, (array_agg(id ORDER BY created_at DESC))[1:50] AS ids
       FROM runs WHERE tenant_id = ANY($1::uuid[]) GROUP BY tenant_id`,
    [ids],
  );
  const runsByTenant = new Map(runs.rows.map((r) => [r.tenant_id, r.ids]));
  await pool.query(`DROP TABLE scale_tenants`);
  await step('analyze', `ANALYZE`);
  return {
    tenants: options.tenants,
    runs: options.runs,
    sampled: ids.map((tenantId, i) => ({
      tenantId,
      key: keys[i]?.key ?? '',
      runIds: runsByTenant.get(tenantId) ?? [],
    })),
  };
}
