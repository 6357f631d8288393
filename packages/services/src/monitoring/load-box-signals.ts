import type { TimedRun } from '@paddock/monitoring';
import type { ServiceClients } from '../clients';

export interface BoxSignals {
  /** Watchdog kills by box (with its tenant), for boxes with a kill since the watermark or an open alert. */
  kills: Map<string, { tenantId: string; kills: TimedRun[] }>;
  /** Running steps without progress for `stallMs`, by tenant; tenants with an open stall alert appear (maybe empty). */
  stalled: Map<string, TimedRun[]>;
  /** Boxes silent for `quietMs` that ran something in the last week: last event and the week's run starts. */
  quiet: Array<{ boxId: string; tenantId: string; lastEventAt: number | null; runStarts: TimedRun[] }>;
  /** Queued runs by tenant; tenants with an open backlog alert appear (maybe empty). */
  queued: Map<string, TimedRun[]>;
}

const WEEK_MS = 7 * 86_400_000;

export async function loadBoxSignals(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  input: { since: Date; now: Date; killLookbackMs: number; stallMs: number; quietMs: number },
): Promise<BoxSignals> {
  const now = input.now.getTime();
  const killRows = await prisma.$queryRaw<Array<{ box_id: string; tenant_id: string; run: string; at: Date }>>`
    WITH boxes AS (
      SELECT DISTINCT box_id FROM usage_events WHERE type = 'killed' AND occurred_at >= ${input.since}
      UNION SELECT (scope->>'boxId')::uuid FROM alerts
       WHERE status <> 'resolved' AND code = 'watchdog_kills' AND dedupe_key LIKE 'monitor:%' AND scope ? 'boxId')
    SELECT e.box_id::text, e.tenant_id::text, COALESCE(e.run_id::text, e.runtime_run_id) AS run, e.occurred_at AS at
      FROM usage_events e JOIN boxes b ON b.box_id = e.box_id
     WHERE e.type = 'killed' AND e.occurred_at >= ${new Date(now - input.killLookbackMs)}`;
  const kills: BoxSignals['kills'] = new Map();
  for (const row of killRows) {
    const entry = kills.get(row.box_id) ?? { tenantId: row.tenant_id, kills: [] };
    entry.kills.push({ runId: row.run, at: row.at.getTime() });
    kills.set(row.box_id, entry);
  }

  const stalled: BoxSignals['stalled'] = new Map();
  for (const row of await prisma.$queryRaw<Array<{ tenant_id: string }>>`
    SELECT DISTINCT scope->>'tenantId' AS tenant_id FROM alerts
     WHERE status <> 'resolved' AND code = 'steps_stalled' AND dedupe_key LIKE 'monitor:%'`) {
    stalled.set(row.tenant_id, []);
  }
  for (const row of await prisma.$queryRaw<Array<{ tenant_id: string; run_id: string; at: Date }>>`
    SELECT tenant_id::text, run_id::text, updated_at AS at FROM run_steps
     WHERE status = 'running' AND updated_at < ${new Date(now - input.stallMs)}`) {
    const list = stalled.get(row.tenant_id) ?? [];
    list.push({ runId: row.run_id, at: row.at.getTime() });
    stalled.set(row.tenant_id, list);
  }

  const quietRows = await prisma.$queryRaw<
    Array<{
      box_id: string;
      tenant_id: string;
      last_event_at: Date | null;
      run_id: string | null;
      created_at: Date | null;
    }>
  >`
    WITH candidates AS (
      SELECT c.box_id, b.tenant_id, c.last_event_at FROM collector_cursors c JOIN boxes b ON b.id = c.box_id
       WHERE b.status IN ('ready', 'unhealthy', 'unreachable') AND b.tenant_id IS NOT NULL
         AND (c.last_event_at < ${new Date(now - input.quietMs)}
              OR c.box_id IN (SELECT (scope->>'boxId')::uuid FROM alerts
                               WHERE status <> 'resolved' AND code = 'box_quiet' AND dedupe_key LIKE 'monitor:%')))
    SELECT c.box_id::text, c.tenant_id::text, c.last_event_at, r.id::text AS run_id, r.created_at
      FROM candidates c LEFT JOIN runs r ON r.box_id = c.box_id AND r.created_at >= ${new Date(now - WEEK_MS)}`;
  const quiet = new Map<string, BoxSignals['quiet'][number]>();
  for (const row of quietRows) {
    const entry = quiet.get(row.box_id) ?? {
      boxId: row.box_id,
      tenantId: row.tenant_id,
      lastEventAt: row.last_event_at?.getTime() ?? null,
      runStarts: [],
    };
    if (row.run_id && row.created_at) entry.runStarts.push({ runId: row.run_id, at: row.created_at.getTime() });
    quiet.set(row.box_id, entry);
  }

  const queued: BoxSignals['queued'] = new Map();
  for (const row of await prisma.$queryRaw<Array<{ tenant_id: string }>>`
    SELECT DISTINCT scope->>'tenantId' AS tenant_id FROM alerts
     WHERE status <> 'resolved' AND code = 'runs_queued' AND dedupe_key LIKE 'monitor:%'`) {
    queued.set(row.tenant_id, []);
  }
  for (const row of await prisma.$queryRaw<Array<{ tenant_id: string; id: string; created_at: Date }>>`
    SELECT tenant_id::text, id::text, created_at FROM runs WHERE status = 'queued'`) {
    const list = queued.get(row.tenant_id) ?? [];
    list.push({ runId: row.id, at: row.created_at.getTime() });
    queued.set(row.tenant_id, list);
  }
  return { kills, stalled, quiet: [...quiet.values()], queued };
}
