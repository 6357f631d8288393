import { AppError } from '@paddock/contracts';
import { assertKnownFlags, boolFlag, flag, intFlag } from '../cli-args';
import { runDaemon, startDetached, stopDaemon } from '../run-daemon';
import { type Command, printJson } from './context';

const DEFAULT_MAX_PARALLEL = 64;

/** The environment agents start from: only what a login would give, never the daemon's own variables. */
function baseEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const keep = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'SHELL'];
  const out: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin' };
  for (const key of keep) {
    const value = env[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** `chainctl daemon [--detach] [--max-parallel N] [--drain-timeout MS]`, `chainctl daemon stop`. */
export const daemonCommand: Command = async (ctx) => {
  assertKnownFlags(ctx.args, ['detach', 'max-parallel', 'drain-timeout', 'rescan-ms', 'timeout', 'barrier']);
  const sub = ctx.args.positionals[1];
  if (sub === 'stop') {
    const result = await stopDaemon(ctx.config.root, intFlag(ctx.args, 'timeout', 60_000, 1));
    if (ctx.json) printJson(ctx, { ok: true, ...result });
    else ctx.out(result.stopped ? `daemon ${result.pid} stopped\n` : 'no daemon running\n');
    return 0;
  }
  const maxParallel = intFlag(ctx.args, 'max-parallel', ctx.config.maxParallel ?? DEFAULT_MAX_PARALLEL, 1);
  const drainMs = intFlag(ctx.args, 'drain-timeout', 10_000, 0);
  const rescanMs = intFlag(ctx.args, 'rescan-ms', 2_000, 10);
  const barrier = flag(ctx.args, 'barrier') ?? 'fsync';
  if (barrier !== 'fsync' && barrier !== 'syncfs')
    throw new AppError('bad_request', '--barrier must be fsync or syncfs');
  if (boolFlag(ctx.args, 'detach')) {
    const argv = ctx.selfArgv;
    const args = ['daemon', '--root', ctx.config.root, '--max-parallel', String(maxParallel)];
    args.push('--drain-timeout', String(drainMs), '--rescan-ms', String(rescanMs), '--barrier', barrier);
    const status = await startDetached([...argv, ...args], ctx.config.root, ctx.env);
    if (ctx.json) printJson(ctx, { ok: true, pid: status.pid, root: ctx.config.root });
    else ctx.out(`daemon started (pid ${status.pid})\n`);
    return 0;
  }
  return runDaemon({
    root: ctx.config.root,
    maxParallel,
    rescanMs,
    drainMs,
    barrier,
    baseEnv: baseEnv(ctx.env),
    log: (line) => ctx.err(`${new Date().toISOString()} ${line}\n`),
  });
};
