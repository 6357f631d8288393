import { AppError } from '@paddock/contracts';
import { assertKnownFlags, flag, requirePositional } from '../cli-args';
import type { StoredEvent } from '../event-store';
import { cancel, decide, replay, resume } from '../run-actions';
import { type Command, type CommandContext, printJson } from './context';

function report(ctx: CommandContext, stored: StoredEvent, human: string): number {
  if (ctx.json) printJson(ctx, { ok: true, event: stored.event, file: stored.file });
  else ctx.out(`${human}\n`);
  return 0;
}

export const decideCommand: Command = async (ctx) => {
  assertKnownFlags(ctx.args, ['by', 'note']);
  const runId = requirePositional(ctx.args, 1, 'run id: chainctl decide RUN STEP OPTION');
  const step = requirePositional(ctx.args, 2, 'step: chainctl decide RUN STEP OPTION');
  const option = requirePositional(ctx.args, 3, 'option: chainctl decide RUN STEP approve|reject|request_changes');
  const by = flag(ctx.args, 'by') ?? ctx.env.USER ?? 'unknown';
  const stored = await decide(ctx.config.root, runId, { step, option, by, note: flag(ctx.args, 'note') ?? null });
  return report(ctx, stored, `${runId} ${step}: ${option} by ${by}`);
};

export const replayCommand: Command = async (ctx) => {
  assertKnownFlags(ctx.args, ['from']);
  const runId = requirePositional(ctx.args, 1, 'run id: chainctl replay RUN --from STEP');
  const from = flag(ctx.args, 'from');
  if (!from) throw new AppError('bad_request', 'missing --from STEP');
  const stored = await replay(ctx.config.root, runId, from);
  return report(ctx, stored, `${runId}: replaying ${((stored.event.data?.steps ?? []) as string[]).join(', ')}`);
};

export const resumeCommand: Command = async (ctx) => {
  assertKnownFlags(ctx.args, []);
  const runId = requirePositional(ctx.args, 1, 'run id: chainctl resume RUN');
  return report(ctx, await resume(ctx.config.root, runId), `${runId}: resumed`);
};

export const cancelCommand: Command = async (ctx) => {
  assertKnownFlags(ctx.args, []);
  const runId = requirePositional(ctx.args, 1, 'run id: chainctl cancel RUN');
  return report(ctx, await cancel(ctx.config.root, runId), `${runId}: cancelled`);
};
