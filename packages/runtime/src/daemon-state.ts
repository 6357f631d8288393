import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { AppError } from '@paddock/contracts';
import { rootLayout } from './paths';

/** Written by the daemon every HEARTBEAT_MS to `daemon.json`; health calls a daemon stale past 5 beats. */
export const HEARTBEAT_MS = 1_000;
const STALE_AFTER_MS = 5 * HEARTBEAT_MS;

/**
 * What the daemon checked once at start (PTY, writable root): a deploy reads it, with `pid` and `script`, from this
 * file in plain shell to learn that the release it just started is up and can run agents, without starting another
 * Node process for `chainctl health` (on a small box that second process costs as much CPU as the daemon's start).
 */
export interface DaemonSelfTest {
  ok: boolean;
  problems: string[];
}

export interface DaemonStateFile {
  pid: number;
  /** The script this daemon runs, resolved (`<release>/lib/chainctl.cjs` in a release): which release is running. */
  script?: string | null;
  self_test?: DaemonSelfTest;
  version: string;
  started_at: string;
  heartbeat_at: string;
  active_runs: number;
  running_steps: number;
  queued_steps: number;
  max_parallel: number;
  draining: boolean;
}

export interface DaemonStatus {
  running: boolean;
  healthy: boolean;
  pid: number | null;
  state: DaemonStateFile | null;
  heartbeat_age_ms: number | null;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(pidFile: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function daemonStatus(root: string, now = Date.now()): DaemonStatus {
  const layout = rootLayout(root);
  const pid = readPid(layout.pidFile);
  if (pid === null || !isProcessAlive(pid))
    return { running: false, healthy: false, pid: null, state: null, heartbeat_age_ms: null };
  let state: DaemonStateFile | null = null;
  try {
    state = JSON.parse(readFileSync(layout.stateFile, 'utf8')) as DaemonStateFile;
  } catch {
    state = null;
  }
  const age = state && state.pid === pid ? now - Date.parse(state.heartbeat_at) : null;
  return { running: true, healthy: age !== null && age < STALE_AFTER_MS, pid, state, heartbeat_age_ms: age };
}

/**
 * Claims the pidfile for this process. A pidfile whose process is gone (kill -9, reboot) is taken over; a live one is
 * refused, so two daemons never own the same runs.
 */
export function claimPidFile(root: string): void {
  const { pidFile } = rootLayout(root);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(pidFile, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readPid(pidFile);
      if (holder !== null && holder !== process.pid && isProcessAlive(holder)) {
        throw new AppError('conflict', `a daemon is already running (pid ${holder}, ${pidFile})`);
      }
      rmSync(pidFile, { force: true });
    }
  }
  throw new AppError('conflict', `could not claim ${pidFile}`);
}

export function releasePidFile(root: string): void {
  const { pidFile } = rootLayout(root);
  if (readPid(pidFile) === process.pid) rmSync(pidFile, { force: true });
}

export function writeDaemonState(root: string, state: DaemonStateFile): void {
  const { stateFile } = rootLayout(root);
  const tmp = `${stateFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state)}\n`);
  renameSync(tmp, stateFile);
}
