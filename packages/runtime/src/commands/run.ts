import { AppError } from '@paddock/contracts';
import { assertKnownFlags, boolFlag, flag, flags, requirePositional } from '../cli-args';
import { loadChainFile } from '../chain-files';
import { createRun, parseInputArg } from '../create-run';
import { daemonStatus } from '../daemon-state';
import { runStatusJson } from '../read-run';
import { waitForRun } from '../wait-run';
import { type Command, printJson } from './context';

export const runCommand: Command = async (ctx) => {
  assertKnownFlags(ctx.args, ['input', 'id', 'wait']);
  const file = requirePositional(ctx.args, 1, 'chain file: chainctl run FILE');
  const loaded = loadChainFile(file);
  const inputs = flags(ctx.args, 'input').map((arg) => parseInputArg(arg, ctx.cwd));
  const wait = boolFlag(ctx.args, 'wait');
  const daemon = daemonStatus(ctx.config.root);
  if (wait && !daemon.running) {
    throw new AppError(
      'not_ready',
      'the daemon is not running, so --wait would never end: start it with `chainctl daemon --detach`',
    );
  }
  const { runId, created } = await createRun(ctx.config.root, loaded, inputs, flag(ctx.args, 'id'));
  if (!wait) {
    if (ctx.json) {
      printJson(ctx, {
        run_id: runId,
        status: 'queued',
        chain: loaded.chain.name,
        chain_version: loaded.version,
        daemon_running: daemon.running,
        seq: created.event.seq,
      });
    } else {
      ctx.out(`${runId}\n`);
      if (!daemon.running) ctx.err('warning: the daemon is not running; the run starts when it does\n');
    }
    return 0;
  }
  const finished = await waitForRun(ctx.config.root, runId);
  const status = runStatusJson(finished);
  if (ctx.json) printJson(ctx, status);
  else ctx.out(`${runId}: ${status.status}\n`);
  return status.status === 'succeeded' ? 0 : 1;
};
