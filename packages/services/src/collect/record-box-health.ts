import { readFile, statfs } from 'node:fs/promises';
import { freemem, loadavg, totalmem } from 'node:os';
import type { Health } from '@paddock/contracts';
import { resolveAlertPg } from '../box-health/alerts-pg';
import { type BoxHealthRules, judgeBoxHealth } from '../box-health/judge-box-health';
import { silentAlertKey } from '../box-health/mark-silent-boxes';
import { pgJson } from '../ingest/pg-text';
import type { ServiceClients } from '../clients';

/** Machine figures of a box (what `chainctl health` does not report): load, memory and the state disk. */
export interface SystemFigures {
  load1: number | null;
  memUsedBytes: bigint | null;
  memTotalBytes: bigint | null;
  diskUsedBytes: bigint | null;
  diskTotalBytes: bigint | null;
  /** /proc/sys/fs/inotify limits (the runtime watches its journals and chain files). */
  inotifyMaxUserWatches?: number | null;
  inotifyMaxUserInstances?: number | null;
}

/**
 * Records what the box said about itself: seen now, its runtime version and health answer, and its machine
 * figures when known. `updated_at` is left alone on purpose: it tells operators when a person or workflow changed
 * the box, and a health beat every half minute would drown that.
 *
 * With a health answer the box's status follows it (judge-box-health.ts): `ready` or `unhealthy` with the reasons,
 * for a box in service (`ready`, `unhealthy`, or `unreachable` and now answering again), never while a workflow
 * owns it (bootstrapping, deploying) and never while its changed host key waits for an operator: a session opened
 * before the key changed must not make it look fine. Answering again resolves the box's `box_silent` alert.
 */
export async function recordBoxHealth(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  boxId: string,
  input: { version: string; health?: Health; figures?: SystemFigures; rules?: BoxHealthRules },
): Promise<void> {
  const f = input.figures;
  const judged = input.health
    ? judgeBoxHealth(
        {
          health: input.health,
          diskUsedBytes: f?.diskUsedBytes ?? null,
          diskTotalBytes: f?.diskTotalBytes ?? null,
          inotifyMaxUserWatches: f?.inotifyMaxUserWatches ?? null,
          inotifyMaxUserInstances: f?.inotifyMaxUserInstances ?? null,
        },
        input.rules,
      )
    : undefined;
  await pool.query(
    `UPDATE boxes SET last_seen_at = now(), runtime_version = $2,
            daemon_seen_at = CASE WHEN ($3::jsonb -> 'daemon' ->> 'running') = 'true' THEN now() ELSE daemon_seen_at END,
            health = COALESCE($3::jsonb, health), health_checked_at = CASE WHEN $3::jsonb IS NULL THEN health_checked_at ELSE now() END,
            load1 = COALESCE($4, load1), mem_used_bytes = COALESCE($5, mem_used_bytes),
            mem_total_bytes = COALESCE($6, mem_total_bytes), disk_used_bytes = COALESCE($7, disk_used_bytes),
            disk_total_bytes = COALESCE($8, disk_total_bytes),
            status = CASE WHEN $9::box_status IS NOT NULL AND ${JUDGED_BY_HEALTH} THEN $9::box_status ELSE status END,
            status_reason = CASE WHEN $9::box_status IS NOT NULL AND ${JUDGED_BY_HEALTH} THEN $10 ELSE status_reason END
      WHERE id = $1`,
    [
      boxId,
      input.version.slice(0, 64),
      input.health ? pgJson(input.health) : null,
      f?.load1 ?? null,
      f?.memUsedBytes?.toString() ?? null,
      f?.memTotalBytes?.toString() ?? null,
      f?.diskUsedBytes?.toString() ?? null,
      f?.diskTotalBytes?.toString() ?? null,
      judged?.status ?? null,
      judged && judged.problems.length > 0 ? judged.problems.join('; ').slice(0, 1_000) : null,
    ],
  );
  await resolveAlertPg({ pg: pool }, silentAlertKey(boxId));
}

/** Boxes whose status the health beat decides: in service, and not waiting for an operator to re-pin their key. */
const JUDGED_BY_HEALTH = `status IN ('ready', 'unhealthy', 'unreachable') AND NOT EXISTS (
       SELECT 1 FROM alerts a WHERE a.dedupe_key = 'host_key_changed:' || boxes.id::text AND a.status <> 'resolved')`;

/** Only seen: the channel opened or events arrived, no health answer this time. */
export async function recordBoxSeen(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  boxId: string,
  version: string | undefined,
): Promise<void> {
  await pool.query(
    'UPDATE boxes SET last_seen_at = now(), runtime_version = COALESCE($2, runtime_version) WHERE id = $1',
    [boxId, version?.slice(0, 64) ?? null],
  );
}

/**
 * Parses the output of `cat /proc/loadavg; grep -E '^(MemTotal|MemAvailable):' /proc/meminfo; df -Pk DIR` and an
 * `inotify WATCHES INSTANCES` line, the probe the SSH connector runs on a box. Missing parts come back as null rather than failing the health beat.
 */
export function parseSystemProbe(output: string): SystemFigures {
  const lines = output.split('\n');
  const load = Number.parseFloat(lines[0]?.split(/\s+/)[0] ?? '');
  const kib = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s*kB`, 'm').exec(output);
    return match?.[1] ? BigInt(match[1]) * 1024n : null;
  };
  const memTotal = kib('MemTotal');
  const memAvailable = kib('MemAvailable');
  // df -P: "Filesystem 1024-blocks Used Available Capacity Mounted on", then one line per filesystem.
  const dfLine = lines.find((line) => /^\S+\s+\d+\s+\d+\s+\d+\s+\d+%/.test(line));
  const df = dfLine?.split(/\s+/);
  const inotify = /^inotify (\d{1,12}) (\d{1,12})$/m.exec(output);
  return {
    load1: Number.isFinite(load) ? load : null,
    inotifyMaxUserWatches: inotify?.[1] ? Number(inotify[1]) : null,
    inotifyMaxUserInstances: inotify?.[2] ? Number(inotify[2]) : null,
    memTotalBytes: memTotal,
    memUsedBytes: memTotal !== null && memAvailable !== null ? memTotal - memAvailable : null,
    diskTotalBytes: df?.[1] ? BigInt(df[1]) * 1024n : null,
    diskUsedBytes: df?.[2] ? BigInt(df[2]) * 1024n : null,
  };
}

/** The same figures for a runtime on this machine (tests, benchmarks, a collector next to its box). */
export async function localSystemFigures(dir: string): Promise<SystemFigures> {
  const disk = await statfs(dir);
  const total = BigInt(disk.blocks) * BigInt(disk.bsize);
  const free = BigInt(disk.bfree) * BigInt(disk.bsize);
  return {
    load1: loadavg()[0] ?? null,
    memTotalBytes: BigInt(totalmem()),
    memUsedBytes: BigInt(totalmem() - freemem()),
    diskTotalBytes: total,
    diskUsedBytes: total - free,
    inotifyMaxUserWatches: await readProcNumber('/proc/sys/fs/inotify/max_user_watches'),
    inotifyMaxUserInstances: await readProcNumber('/proc/sys/fs/inotify/max_user_instances'),
  };
}

async function readProcNumber(path: string): Promise<number | null> {
  const value = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
  return Number.isFinite(value) ? value : null;
}
