import { AppError } from '@paddock/contracts';
import { boolFlag, flag, parseArgs } from './cli-args';
import { ChainInvalidError } from './chain-files';
import { errorJson, exitCodeFor } from './cli-errors';
import type { Command, CommandContext } from './commands/context';
import { eventsCommand } from './commands/events';
import { runCommand } from './commands/run';
import { listCommand, statusCommand } from './commands/status';
import { validateCommand } from './commands/validate';
import { readRuntimeConfig } from './config';

const COMMANDS: Record<string, Command> = {
  validate: validateCommand,
  run: runCommand,
  status: statusCommand,
  list: listCommand,
  events: eventsCommand,
};

export const USAGE = `chainctl: the Paddock box runtime

  chainctl validate FILE                      check a chain (file:line:column: field: message)
  chainctl run FILE [--input k=v|k=@file]... [--id RUN_ID] [--wait]
  chainctl status RUN | list
  chainctl events [--run RUN] [--since CURSOR] [--limit N]
  chainctl decide RUN STEP OPTION [--by WHO] [--note TEXT]
  chainctl replay RUN --from STEP | resume RUN | cancel RUN
  chainctl attach RUN STEP [--interactive]
  chainctl daemon [--detach] [--max-parallel N] | daemon stop
  chainctl health
  chainctl serve --stdio

  Every command takes --json and --root DIR (default $CHAIN_ROOT, else ~/.local/state/paddock-runtime).
`;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  selfArgv?: string[];
}

export const extraCommands: Record<string, Command> = {};

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let json = argv.includes('--json');
  try {
    const args = parseArgs(argv);
    json = boolFlag(args, 'json');
    const name = args.positionals[0];
    if (name === undefined || name === 'help' || boolFlag(args, 'help')) {
      io.out(USAGE);
      return name === undefined && !boolFlag(args, 'help') ? 2 : 0;
    }
    const command = COMMANDS[name] ?? extraCommands[name];
    if (!command) throw new AppError('bad_request', `unknown command "${name}" (see chainctl help)`);
    const ctx: CommandContext = {
      args,
      config: readRuntimeConfig(io.env, flag(args, 'root')),
      json,
      cwd: io.cwd,
      env: io.env,
      selfArgv: io.selfArgv ?? [],
      out: io.out,
      err: io.err,
    };
    return await command(ctx);
  } catch (error) {
    if (json) io.out(`${JSON.stringify({ ok: false, error: errorJson(error) })}\n`);
    else if (error instanceof ChainInvalidError) io.err(`${error.message}\n`);
    else io.err(`chainctl: ${errorJson(error).message}\n`);
    return exitCodeFor(error);
  }
}
