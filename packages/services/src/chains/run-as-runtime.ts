import {
  asRoot,
  asUser,
  type BoxLayout,
  checkLayout,
  type ExecOptions,
  type ExecResult,
  type ShellCommand,
  type SshConnection,
  sh,
} from '@paddock/fleet';

// The script is streamed to a file of the runtime user first (as fleet's execScript does), so its length never meets
// the argument limit and nothing in it can read the rest of the script from stdin.
const RUNNER = sh`f=$(mktemp) && cat > "$f" && { sh "$f" </dev/null; rc=$?; rm -f "$f"; exit $rc; }`;

/**
 * Runs a script on a box as the runtime user, never as root: chain files live in the runtime user's directory,
 * where a file an agent planted (a symlink to /etc/shadow) must not be followed with root's rights.
 */
export function runScriptAsRuntime(
  connection: SshConnection,
  layout: BoxLayout,
  script: ShellCommand,
  options: Omit<ExecOptions, 'stdin'> = {},
): Promise<ExecResult> {
  const user = checkLayout(layout).runtimeUser;
  const command = asRoot(connection.target.username, asUser(user, RUNNER));
  return connection.exec(command, { ...options, stdin: `${script.text}\n` });
}
