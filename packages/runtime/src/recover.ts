import { readFileSync } from 'node:fs';

/**
 * Kills what is left of an agent whose daemon died, but only if that pid still is that agent: its environment must
 * carry the run and step (a pid can be reused by an unrelated process after a reboot or a long outage).
 */
export function killOrphan(pid: number | null, runId: string, step: string): boolean {
  if (pid === null || pid <= 1) return false;
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return false;
  }
  const vars = new Set(environ.split('\0'));
  if (!vars.has(`CHAIN_RUN_ID=${runId}`) || !vars.has(`CHAIN_STEP=${step}`)) return false;
  try {
    process.kill(-pid, 'SIGKILL');
    return true;
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
      return true;
    } catch {
      return false;
    }
  }
}
