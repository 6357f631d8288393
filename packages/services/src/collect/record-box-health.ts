import { statfs } from 'node:fs/promises';
import { freemem, loadavg, totalmem } from 'node:os';
import type { Health } from '@paddock/contracts';
import type { Pool } from 'pg';
import { pgJson } from './pg-text';

/** Machine figures of a box (what `chainctl health` does not report): load, memory and the state disk. */
export interface SystemFigures {
  load1: number | null;
  memUsedBytes: bigint | null;
  memTotalBytes: bigint | null;
  diskUsedBytes: bigint | null;
  diskTotalBytes: bigint | null;
}

/**
 * Records what the box said about itself: seen now, its runtime version and health answer, and its machine
 * figures when known. `updated_at` is left alone on purpose: it tells operators when a person or workflow changed
 * the box, and a health beat every half minute would drown that.
 */
export async function recordBoxHealth(
  pool: Pool,
  boxId: string,
  input: { version: string; health?: Health; figures?: SystemFigures },
): Promise<void> {
  const f = input.figures;
  await pool.query(
    `UPDATE boxes SET last_seen_at = now(), runtime_version = $2,
            health = COALESCE($3::jsonb, health), health_checked_at = CASE WHEN $3::jsonb IS NULL THEN health_checked_at ELSE now() END,
            load1 = COALESCE($4, load1), mem_used_bytes = COALESCE($5, mem_used_bytes),
            mem_total_bytes = COALESCE($6, mem_total_bytes), disk_used_bytes = COALESCE($7, disk_used_bytes),
            disk_total_bytes = COALESCE($8, disk_total_bytes)
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
    ],
  );
}

/** Only seen: the channel opened or events arrived, no health answer this time. */
export async function recordBoxSeen(pool: Pool, boxId: string, version: string | undefined): Promise<void> {
  await pool.query(
    'UPDATE boxes SET last_seen_at = now(), runtime_version = COALESCE($2, runtime_version) WHERE id = $1',
    [boxId, version?.slice(0, 64) ?? null],
  );
}

/**
 * Parses the output of `cat /proc/loadavg; grep -E '^(MemTotal|MemAvailable):' /proc/meminfo; df -Pk DIR`, the
 * probe the SSH connector runs on a box. Missing parts come back as null rather than failing the health beat.
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
  return {
    load1: Number.isFinite(load) ? load : null,
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
  };
}
