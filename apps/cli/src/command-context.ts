import { type Command, InvalidArgumentError } from 'commander';
import { ApiClient } from './api-client';
import type { CliSettings } from './config';
import { DEFAULT_SERVER } from './config';
import { readLogin } from './credentials';
import { CliError } from './errors';
import { type Output, renderJson } from './output';

export interface CliIo {
  stdout: Output;
  stderr: Output;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** stdout when it is a terminal (progress bars draw there); absent when piped, where plain lines are printed. */
  terminal?: NodeJS.WriteStream;
}

/** What every command group gets: where to print, and an API client bound to the saved login. */
export class CommandContext {
  constructor(
    readonly settings: CliSettings,
    readonly io: CliIo,
  ) {}

  /** The server to talk to: the environment's, else the one `paddock login` saved, else the local default. */
  async server(): Promise<string> {
    if (this.settings.serverOverride) return this.settings.serverOverride;
    return (await readLogin(this.settings.configFile))?.server ?? DEFAULT_SERVER;
  }

  /** A client with the saved operator token; fails plainly when nobody logged in. */
  async client(): Promise<ApiClient> {
    const login = await readLogin(this.settings.configFile);
    if (!login) throw new CliError('not logged in: run `paddock login` first');
    return new ApiClient(this.settings.serverOverride ?? login.server, login.token);
  }

  /** Prints the API's reply as JSON with --json, else what `human` renders. */
  print<T>(options: { json?: boolean }, reply: T, human: (reply: T) => string): void {
    this.io.stdout.write(options.json ? renderJson(reply) : human(reply));
  }
}

/** A group of commands (`tenants`, `jobs`, ...): one file each, all listed in commands/index.ts. */
export interface CommandGroup {
  register(program: Command, context: CommandContext): void;
}

/** Every command takes --json: the API's reply as it came, for scripts. */
export function withJson(command: Command): Command {
  return command.option('--json', 'print the API reply as JSON');
}

/** A positive integer option value (commander reports a bad one as a usage error). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}
