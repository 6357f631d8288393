import { assertKnownFlags, requirePositional } from '../cli-args';
import { listRunIds, loadRun, runStatusJson } from '../read-run';
import { type Command, printJson } from './context';

export const statusCommand: Command = async (ctx) => {
  assertKnownFlags(ctx.args, []);
  const runId = requirePositional(ctx.args, 1, 'run id: chainctl status RUN');
  const status = runStatusJson(loadRun(ctx.config.root, runId));
  if (ctx.json) {
    printJson(ctx, status);
    return 0;
  }
  ctx.out(`run ${status.run_id} (${status.chain}): ${status.status}\n`);
  for (const step of status.steps) {
    const extra = [
      step.attempt > 1 ? `attempt ${step.attempt}` : '',
      step.exit_code !== null ? `exit ${step.exit_code}` : '',
      step.error ?? '',
      step.decision ? `${step.decision.option} by ${step.decision.by}` : '',
    ].filter(Boolean);
    ctx.out(`  ${step.step.padEnd(20)} ${step.status.padEnd(9)} ${extra.join(', ')}\n`);
  }
  for (const bad of status.malformed) ctx.err(`warning: skipped malformed event ${bad.file}: ${bad.error}\n`);
  return 0;
};

export const listCommand: Command = async (ctx) => {
  assertKnownFlags(ctx.args, []);
  const runs = listRunIds(ctx.config.root).map((id) => {
    try {
      const s = runStatusJson(loadRun(ctx.config.root, id));
      return { run_id: id, chain: s.chain, status: s.status, created_at: s.created_at, updated_at: s.updated_at };
    } catch (error) {
      return { run_id: id, chain: null, status: 'unreadable', error: (error as Error).message };
    }
  });
  if (ctx.json) printJson(ctx, { runs });
  else for (const r of runs) ctx.out(`${r.run_id}  ${String(r.status).padEnd(10)} ${r.chain ?? ''}\n`);
  return 0;
};
