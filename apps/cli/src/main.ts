import { Command, CommanderError } from 'commander';
import { type CliIo, CommandContext } from './command-context';
import { COMMAND_GROUPS } from './commands';
import { loadCliSettings } from './config';
import { ApiError, CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './errors';

const processIo: CliIo = {
  stdout: { write: (text) => process.stdout.write(text) },
  stderr: { write: (text) => process.stderr.write(text) },
  stdin: process.stdin,
  ...(process.stdout.isTTY ? { terminal: process.stdout } : {}),
};

/**
 * Runs one `paddock` command line and returns its exit code: 0 done, 1 failed (the API said no, the server is
 * unreachable), 2 usage (unknown command or option, missing argument). Errors are one or two lines, never a stack.
 */
export async function main(
  argv: readonly string[],
  io: CliIo = processIo,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  let context: CommandContext;
  try {
    context = new CommandContext(loadCliSettings(env), io);
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  const program = new Command('paddock')
    .description('Operate Paddock through its operator API (log in first: paddock login --email you@example.com)')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  // Settings above are copied into each subcommand as it is made, so register the groups after them.
  for (const group of COMMAND_GROUPS) group.register(program, context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    return report(error, io, argv.includes('--json'));
  }
}

function report(error: unknown, io: CliIo, json: boolean): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message (and the suggestion) already.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
    if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    return EXIT_USAGE;
  }
  if (error instanceof ApiError && json) {
    // Scripts asked for JSON: the API's error as it came (stderr, so stdout stays empty), same exit code.
    const body = { code: error.code, message: error.message, details: error.details, requestId: error.requestId };
    io.stderr.write(`${JSON.stringify({ error: body })}\n`);
    return EXIT_FAILED;
  }
  if (error instanceof ApiError) {
    const lines = [`error: ${error.code}: ${error.message}`];
    for (const detail of error.details) lines.push(`  ${detail.path ?? ''}: ${detail.message ?? ''}`);
    if (error.status === 401) lines.push('  (log in again: paddock login)');
    if (error.requestId) lines.push(`  request id: ${error.requestId}`);
    io.stderr.write(`${lines.join('\n')}\n`);
    return EXIT_FAILED;
  }
  if (error instanceof CliError) {
    // The CLI's own failures (not logged in, server unreachable) have no API code: `cli` stands for one.
    io.stderr.write(
      json ? `${JSON.stringify({ error: { code: 'cli', message: error.message } })}\n` : `error: ${error.message}\n`,
    );
    return error.exitCode;
  }
  // The prompt library throws this when the operator presses Ctrl-C at the password prompt.
  if (error instanceof Error && error.name === 'ExitPromptError') return EXIT_FAILED;
  io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT_FAILED;
}
