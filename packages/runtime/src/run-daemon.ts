import { spawn } from 'node:child_process';
import { mkdirSync, openSync, realpathSync } from 'node:fs';
import { selfTest } from './commands/health';
import { AppError } from '@paddock/contracts';
import { readBoxConfig } from './box-config';
import { Daemon } from './daemon';
import {
  claimPidFile,
  type DaemonSelfTest,
  daemonStatus,
  HEARTBEAT_MS,
  isProcessAlive,
  releasePidFile,
  writeDaemonState,
} from './daemon-state';
import { rootLayout } from './paths';
import { RUNTIME_VERSION } from './version';

export interface RunDaemonOptions {
  root: string;
  maxParallel: number;
  rescanMs: number;
  drainMs: number;
  barrier: 'fsync' | 'syncfs';
  baseEnv: Record<string, string>;
  log: (line: string) => void;
}

/**
 * Runs the daemon in the foreground until SIGTERM/SIGINT: claims the pidfile, recovers runs, beats a heartbeat into
 * daemon.json. On a signal it drains (stops launching, lets running steps finish for `drainMs`, then stops them and
 * records a retry) so a restart loses nothing.
 */
export async function runDaemon(options: RunDaemonOptions): Promise<number> {
  mkdirSync(rootLayout(options.root).runsDir, { recursive: true });
  // Read before the pidfile is claimed: a bad config.json stops the daemon with its message and leaves nothing behind.
  const boxConfig = readBoxConfig(options.root);
  claimPidFile(options.root);
  const startedAt = new Date().toISOString();
  const daemon = new Daemon({
    root: options.root,
    maxParallel: options.maxParallel,
    rescanMs: options.rescanMs,
    baseEnv: options.baseEnv,
    barrier: options.barrier,
    log: options.log,
    boxConfig,
  });
  let checked: DaemonSelfTest | undefined;
  const script = runningScript();
  const beat = () => {
    const stats = daemon.stats;
    writeDaemonState(options.root, {
      pid: process.pid,
      script,
      ...(checked ? { self_test: checked } : {}),
      version: RUNTIME_VERSION,
      started_at: startedAt,
      heartbeat_at: new Date().toISOString(),
      active_runs: stats.activeRuns,
      running_steps: stats.runningSteps,
      queued_steps: stats.queuedSteps,
      max_parallel: options.maxParallel,
      draining: stats.draining,
    });
  };
  try {
    await daemon.start();
  } catch (error) {
    releasePidFile(options.root);
    throw error;
  }
  // Once, before the first beat: a deploy takes the first state file written by the new pid as its health answer.
  const { ok, problems } = selfTest(options.root);
  checked = { ok, problems };
  if (!ok) options.log(`daemon ${process.pid}: self-test failed: ${problems.join('; ')}`);
  beat();
  const heartbeat = setInterval(beat, HEARTBEAT_MS);
  options.log(
    `daemon ${process.pid} started (root ${options.root}, max parallel ${options.maxParallel}, ` +
      `step idle_timeout ${boxConfig.idle_timeout}, timeout ${boxConfig.timeout})`,
  );
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      options.log(`daemon ${process.pid}: ${signal}, draining for up to ${options.drainMs} ms`);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await daemon.stop(options.drainMs);
  beat();
  clearInterval(heartbeat);
  releasePidFile(options.root);
  options.log(`daemon ${process.pid} stopped`);
  return 0;
}

function runningScript(): string | null {
  const entry = process.argv[1];
  if (!entry) return null;
  try {
    return realpathSync(entry);
  } catch {
    return entry;
  }
}

/**
 * Starts `chainctl daemon` detached (new session, output to daemon.log) and waits until its heartbeat shows it is up.
 * `ulimit -n` is raised to the hard limit first: every running step holds a PTY and a log file.
 */
export async function startDetached(cliArgv: string[], root: string, env: NodeJS.ProcessEnv, timeoutMs = 15_000) {
  const before = daemonStatus(root);
  if (before.running) throw new AppError('conflict', `a daemon is already running (pid ${before.pid})`);
  mkdirSync(root, { recursive: true });
  const log = openSync(rootLayout(root).logFile, 'a');
  const [exe, ...args] = cliArgv;
  const child = spawn(
    '/bin/sh',
    ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', exe as string, ...args],
    {
      detached: true,
      stdio: ['ignore', log, log],
      // More threadpool threads: event fsyncs run there, up to 32 at once (event-committer.ts: the filesystem journal
      // commits concurrent fsyncs together, so throughput grows with them), and launches need threads left over. A 1 MB young generation: the daemon's garbage is
      // small and short-lived (events, buffers), and this keeps its RSS ~15 MB lower at 1,000 concurrent steps.
      env: {
        ...env,
        UV_THREADPOOL_SIZE: env.UV_THREADPOOL_SIZE ?? '48',
        NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --max-semi-space-size=1`.trim(),
      },
    },
  );
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = daemonStatus(root);
    if (status.running && status.healthy && status.pid === child.pid) return status;
    if (child.pid !== undefined && !isProcessAlive(child.pid)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new AppError('not_ready', `the daemon did not come up; see ${rootLayout(root).logFile}`);
}

export async function stopDaemon(root: string, timeoutMs: number): Promise<{ stopped: boolean; pid: number | null }> {
  const status = daemonStatus(root);
  if (!status.running || status.pid === null) return { stopped: false, pid: null };
  process.kill(status.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(status.pid)) return { stopped: true, pid: status.pid };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new AppError('internal', `daemon ${status.pid} did not stop within ${timeoutMs} ms`);
}
