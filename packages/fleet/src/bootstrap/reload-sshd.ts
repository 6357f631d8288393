import { type ShellCommand, sh } from '../shell';

/**
 * Makes the box's sshd re-read its configuration and host keys for new connections; sessions already open (this one
 * included) stay up. Under systemd the unit is `ssh` (Debian, Ubuntu) or `sshd`; without systemd (test boxes, some
 * containers) sshd re-executes itself on SIGHUP.
 */
export function reloadSshdCommand(): ShellCommand {
  return sh`if [ -d /run/systemd/system ]; then systemctl reload ssh 2>/dev/null || systemctl reload sshd
else kill -HUP "$(cat /run/sshd.pid)"
fi`;
}
