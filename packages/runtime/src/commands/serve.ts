import { AppError } from '@paddock/contracts';
import { assertKnownFlags, boolFlag } from '../cli-args';
import { serveStdio } from '../serve-stdio';
import type { Command } from './context';

export const serveCommand: Command = async (ctx) => {
  assertKnownFlags(ctx.args, ['stdio']);
  if (!boolFlag(ctx.args, 'stdio')) throw new AppError('bad_request', 'serve needs --stdio (the only transport)');
  await serveStdio({
    root: ctx.config.root,
    cwd: ctx.cwd,
    input: process.stdin,
    output: process.stdout,
    defaultBy: ctx.env.USER ?? 'unknown',
  });
  return 0;
};
