import { connect } from 'node:net';
import { AppError } from '@paddock/contracts';
import { assertKnownFlags, boolFlag, requirePositional } from '../cli-args';
import { daemonStatus } from '../daemon-state';
import { rootLayout } from '../paths';
import type { Command } from './context';

const DETACH_KEY = 0x1d; // Ctrl-]

/**
 * `chainctl attach RUN STEP [--interactive]`: follow a running step's terminal (what it printed so far, then live),
 * over plain SSH. With --interactive, what you type goes to the agent (and is recorded); Ctrl-] detaches.
 */
export const attachCommand: Command = async (ctx) => {
  assertKnownFlags(ctx.args, ['interactive']);
  const run = requirePositional(ctx.args, 1, 'run id: chainctl attach RUN STEP');
  const step = requirePositional(ctx.args, 2, 'step: chainctl attach RUN STEP');
  const interactive = boolFlag(ctx.args, 'interactive');
  if (!daemonStatus(ctx.config.root).running) throw new AppError('not_ready', 'the daemon is not running');
  const socket = connect(rootLayout(ctx.config.root).socketFile);
  socket.write(`${JSON.stringify({ run, step, interactive, by: ctx.env.USER ?? 'unknown' })}\n`);
  return new Promise<number>((resolve, reject) => {
    let header = Buffer.alloc(0);
    let started = false;
    let code = 0;
    socket.on('error', (error) => reject(new AppError('not_ready', `cannot reach the daemon: ${error.message}`)));
    socket.on('data', (chunk: Buffer) => {
      if (started) {
        process.stdout.write(chunk);
        return;
      }
      header = Buffer.concat([header, chunk]);
      const nl = header.indexOf(0x0a);
      if (nl < 0) return;
      const reply = JSON.parse(header.subarray(0, nl).toString('utf8')) as { ok: boolean; error?: string };
      if (!reply.ok) {
        ctx.err(`chainctl: ${reply.error}\n`);
        code = 1;
        return;
      }
      started = true;
      process.stdout.write(header.subarray(nl + 1));
      if (interactive) {
        if (process.stdin.isTTY) process.stdin.setRawMode(true);
        process.stdin.on('data', (data: Buffer) => {
          if (data.includes(DETACH_KEY)) socket.end();
          else socket.write(data);
        });
      }
    });
    socket.on('close', () => {
      if (interactive && process.stdin.isTTY) process.stdin.setRawMode(false);
      process.stdin.pause();
      resolve(code);
    });
  });
};
