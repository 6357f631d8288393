import { mkdirSync } from 'node:fs';
import type { BoxConfig } from './box-config';
import { Daemon } from './daemon';
import { claimPidFile, writeDaemonState } from './daemon-state';
import { readRunEvents } from './event-store';
import { type LoadedRun, loadRun } from './read-run';
import type { TempBox } from './test-support';
import { waitForRun } from './wait-run';

/** Test helpers for suites that run a real daemon (in-process, real PTYs and processes) against a temp root. */
export async function startTestDaemon(
  box: TempBox,
  maxParallel = 16,
  spawner: 'fork-server' | 'node' = 'fork-server',
  barrier: 'fsync' | 'syncfs' = 'fsync',
  boxConfig?: BoxConfig,
): Promise<Daemon> {
  const daemon = new Daemon({
    ...(boxConfig ? { boxConfig } : {}),
    root: box.root,
    maxParallel,
    rescanMs: 200,
    baseEnv: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: box.dir },
    log: () => {},
    spawner,
    barrier,
  });
  // Like `chainctl daemon`: own the pidfile, so chainctl commands hand their run actions to this daemon.
  mkdirSync(box.root, { recursive: true });
  claimPidFile(box.root);
  writeDaemonState(box.root, {
    pid: process.pid,
    version: 'test',
    started_at: new Date().toISOString(),
    heartbeat_at: new Date().toISOString(),
    active_runs: 0,
    running_steps: 0,
    queued_steps: 0,
    max_parallel: maxParallel,
    draining: false,
  });
  await daemon.start();
  return daemon;
}

export function finished(box: TempBox, runId: string, timeoutMs = 20_000): Promise<LoadedRun> {
  return waitForRun(box.root, runId, { timeoutMs });
}

export function waitUntil(box: TempBox, runId: string, until: (run: LoadedRun) => boolean, timeoutMs = 20_000) {
  return waitForRun(box.root, runId, { timeoutMs, until });
}

/** `step.kind` for every event of a run, in seq order: what a person sees with `ls .events`. */
export function kinds(box: TempBox, runId: string): string[] {
  return readRunEvents(box.root, runId).events.map((e) => `${e.step}.${e.kind}`);
}

export function runOf(box: TempBox, runId: string): LoadedRun {
  return loadRun(box.root, runId);
}
