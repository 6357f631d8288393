import { type ShellCommand, sh } from './shell';

/**
 * Runs `command` (through `sh -c`) as the box's runtime user, with a clean environment and from `/`. Root uses it for
 * everything that opens a path in the runtime user's directories: there the user (and so any agent) can swap a file
 * for a symlink, a FIFO or a hard link between two of root's steps, and whatever root then does follows the swap with
 * root's rights. As that user, a swap can only reach what the user could reach anyway. The command's stdin is the
 * caller's (values travel there, never on a command line). Nothing of root's session leaks into it.
 */
export function asRuntimeUser(user: string, command: ShellCommand): ShellCommand {
  return sh`cd / && runuser -u ${user} -- env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 sh -c ${command.text}`;
}
