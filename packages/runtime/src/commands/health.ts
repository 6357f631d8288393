import { accessSync, constants, mkdirSync } from 'node:fs';
import { type Health, PROTOCOL_VERSION } from '@paddock/contracts';
import { assertKnownFlags } from '../cli-args';
import { type DaemonSelfTest, daemonStatus } from '../daemon-state';
import { checkPty } from '../pty-open';
import { RUNTIME_VERSION } from '../version';
import { type Command, printJson } from './context';

/** Whether this box can run agents at all: a writable root and a PTY. The daemon runs it once at start. */
export function selfTest(root: string): DaemonSelfTest & { pty: ReturnType<typeof checkPty>; root_writable: boolean } {
  const problems: string[] = [];
  let writable = true;
  try {
    mkdirSync(root, { recursive: true });
    accessSync(root, constants.W_OK);
  } catch (error) {
    writable = false;
    problems.push(`root ${root} is not writable: ${(error as NodeJS.ErrnoException).code}`);
  }
  const pty = checkPty();
  if (!pty.ok) problems.push(`cannot open a PTY: ${pty.error}`);
  return { ok: problems.length === 0, problems, pty, root_writable: writable };
}

export function health(root: string): Health {
  const { problems, pty, root_writable: writable } = selfTest(root);
  const daemon = daemonStatus(root);
  if (!daemon.running) problems.push('daemon is not running');
  else if (!daemon.healthy) problems.push(`daemon heartbeat is stale (${daemon.heartbeat_age_ms} ms)`);
  return {
    ok: problems.length === 0,
    version: RUNTIME_VERSION,
    protocol: PROTOCOL_VERSION,
    root,
    node: process.version,
    daemon: {
      running: daemon.running,
      healthy: daemon.healthy,
      pid: daemon.pid,
      started_at: daemon.state?.started_at ?? null,
      heartbeat_age_ms: daemon.heartbeat_age_ms,
      active_runs: daemon.state?.active_runs ?? null,
      running_steps: daemon.state?.running_steps ?? null,
      queued_steps: daemon.state?.queued_steps ?? null,
      max_parallel: daemon.state?.max_parallel ?? null,
    },
    pty,
    root_writable: writable,
    problems,
  };
}

/** `chainctl health --json`: exit 0 when the box can run chains (daemon up and beating, PTYs, writable root). */
export const healthCommand: Command = async (ctx) => {
  assertKnownFlags(ctx.args, []);
  const result = health(ctx.config.root);
  if (ctx.json) printJson(ctx, result);
  else
    ctx.out(
      result.ok
        ? `ok (runtime ${result.version}, daemon pid ${result.daemon.pid})\n`
        : `unhealthy: ${result.problems.join('; ')}\n`,
    );
  return result.ok ? 0 : 1;
};
