import { randomBytes } from 'node:crypto';
import { currentRequestId } from '@paddock/platform';
import { FleetError } from './errors';

/**
 * The one way to build a command that runs on a box. Every interpolated value is single-quoted by `quote`, so an
 * operator-provided string is always one literal word to the remote shell, whatever characters it holds.
 * A `ShellCommand` can only be made here, which is how the SSH layer knows nothing raw reaches it.
 */
export class ShellCommand {
  readonly text: string;

  private constructor(text: string) {
    this.text = text;
  }

  /**
   * For static script text that ships in this repository (infra/box/*.sh) and for `sh`/`joinCommands` themselves.
   * Never for anything that holds a value from outside: interpolate those through `sh`.
   */
  static fromTrusted(text: string): ShellCommand {
    return new ShellCommand(text);
  }

  toString(): string {
    return this.text;
  }
}

export type ShellValue = string | number | ShellCommand | readonly (string | number)[];

// Words made only of these characters mean the same quoted or not. `=` and `~` are left out on purpose: an unquoted
// `a=b` in command position is an assignment, and a leading `~` expands to a home directory.
const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/** Quotes one value as a single shell word (POSIX sh, bash, dash). */
export function quote(value: string | number): string {
  const text = String(value);
  if (text.includes('\0')) {
    throw new FleetError('invalid_input', 'A value sent to a box contains a NUL byte, which no shell can carry');
  }
  if (text === '') return "''";
  if (SAFE_WORD.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function render(value: ShellValue): string {
  if (value instanceof ShellCommand) return value.text;
  if (typeof value === 'string' || typeof value === 'number') return quote(value);
  return value.map((v) => quote(v)).join(' ');
}

/**
 * Tagged template for remote commands: `sh\`rm -f -- ${path}\`` quotes `path`; a nested `ShellCommand` is embedded
 * as is (it was built here too); an array becomes several quoted words.
 */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): ShellCommand {
  let text = strings[0] ?? '';
  values.forEach((value, i) => {
    text += render(value) + (strings[i + 1] ?? '');
  });
  return ShellCommand.fromTrusted(text);
}

/** Joins commands into a script, one per line. */
export function joinCommands(commands: readonly ShellCommand[], separator: '\n' | ' && ' | '; ' = '\n'): ShellCommand {
  return ShellCommand.fromTrusted(commands.map((c) => c.text).join(separator));
}

/**
 * Runs `command` through `sh -c` as another user (runuser needs root). The inner command is quoted as one word, so
 * its own quoting survives the second shell.
 */
export function asUser(user: string, command: ShellCommand): ShellCommand {
  return sh`runuser -u ${user} -- sh -c ${command.text}`;
}

/**
 * Wraps a command so a non-root login runs it as root through passwordless sudo; as root it is unchanged. sudo
 * clears the environment, so the current request id (see ssh-connection.ts) is set again inside, as quoted text:
 * no sudo policy for keeping variables (SETENV, --preserve-env) is needed beyond running `sh`.
 */
export function asRoot(loginUser: string, command: ShellCommand): ShellCommand {
  if (loginUser === 'root') return command;
  const requestId = currentRequestId();
  const inner = requestId ? sh`PADDOCK_REQUEST_ID=${requestId}; export PADDOCK_REQUEST_ID; ${command}` : command;
  return sh`sudo -n -- sh -c ${inner.text}`;
}

/**
 * A command that writes `text` to `path` through a quoted here-document: the shell expands nothing inside it, and
 * the random delimiter is checked not to occur in the text, so no content can end the document early.
 */
export function writeFileCommand(path: string | ShellCommand, text: string): ShellCommand {
  if (text.includes('\0')) throw new FleetError('invalid_input', 'File content for a box contains a NUL byte');
  let delimiter = '';
  do delimiter = `PADDOCK_EOF_${randomBytes(8).toString('hex')}`;
  while (text.includes(delimiter));
  const body = text.endsWith('\n') ? text : `${text}\n`;
  const target = path instanceof ShellCommand ? path.text : quote(path);
  return ShellCommand.fromTrusted(`cat > ${target} <<'${delimiter}'\n${body}${delimiter}`);
}
