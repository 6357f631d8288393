import type { ParsedArgs } from '../cli-args';
import type { RuntimeConfig } from '../config';

/** What a command gets: parsed arguments, config, and where to write (so serve/tests can capture output). */
export interface CommandContext {
  args: ParsedArgs;
  config: RuntimeConfig;
  json: boolean;
  cwd: string;
  /** The process environment, for commands that start processes (daemon --detach) or default a name (decide --by). */
  env: NodeJS.ProcessEnv;
  /** How to start this same CLI again (node + loader + script), for daemon --detach. */
  selfArgv: string[];
  out: (text: string) => void;
  err: (text: string) => void;
}

/** A command returns its exit code; 0 success, 1 "done but not ok" (run failed, unhealthy). */
export type Command = (ctx: CommandContext) => Promise<number>;

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.out(`${JSON.stringify(value)}\n`);
}
