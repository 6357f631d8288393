import { type BoxLayout, checkLayout, layoutPaths } from '../deploy/box-layout';
import { asRuntimeUser } from '../runtime-user';
import { asRoot, type ShellCommand, sh } from '../shell';
import type { SshPool } from '../ssh-pool';
import type { BoxTarget } from '../ssh-options';

/** Where a tenant's code may have left files of its own outside the runtime's directories. */
const SHARED_TEMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm'];

/**
 * What a tenant left on a bring-your-own host, removed before the host goes back to its pool: the runtime stopped,
 * every process of the runtime user ended, the runtime's state (runs, chains, secrets, daemon files), its logs, the
 * user's home and whatever the user owns in the shared temporary directories deleted, its crontab dropped. The
 * releases and the content store stay: they are Paddock's code, not the tenant's. The next bootstrap makes the host
 * as new (directories, config, service); the user account stays, so no file of the tenant could pass to a new user
 * with a recycled uid.
 * Everything inside the user's directories is signalled, opened and deleted *as that user* (runtime-user.ts): the
 * tenant could have swapped any of it for a symlink to root's files. Root only stops the service, reads /proc to
 * see that no process of the uid is left, and drops the crontab by name. Ends with `@@wiped`; non-zero on failure.
 */
export function wipeRuntimeUserScript(layout: BoxLayout): ShellCommand {
  checkLayout(layout);
  const user = layout.runtimeUser;
  const { service } = layoutPaths(layout);
  const ownDirs = [layout.dataDir, layout.logDir, `/home/${user}`];
  return sh`set -u
if ! uid=$(id -u ${user} 2>/dev/null); then echo '@@wiped no-runtime-user'; exit 0; fi
if [ "$uid" = 0 ]; then echo 'the runtime user is root: not wiping' >&2; exit 78; fi
if [ -x ${service} ]; then timeout -k 5 120 ${service} stop >/dev/null 2>&1 || true; fi
# Any process (zombies aside: they hold nothing) whose real uid is the user's. /proc/PID/status is the kernel's word;
# the owner of /proc/PID would not do: a process that made itself non-dumpable shows as root's there.
left() {
  for d in /proc/[0-9]*; do
    zombie=0
    while read -r key value _; do
      case "$key" in
        State:) [ "$value" = Z ] && zombie=1 ;;
        Uid:) [ "$zombie" = 0 ] && [ "$value" = "$uid" ] && return 0; break ;;
      esac
    done 2>/dev/null <"$d/status"
  done
  return 1
}
# Signalled by the user itself (kill -1: every process it may signal), never by root, until none is left.
tries=0
while :; do
  ${asRuntimeUser(user, sh`kill -KILL -1`)} 2>/dev/null || true
  left || break
  tries=$((tries + 1))
  if [ "$tries" -gt 100 ]; then echo "processes of ${user} keep running" >&2; exit 75; fi
  sleep 0.1
done
${asRuntimeUser(
  user,
  sh`for d in "$@"; do
  [ -d "$d" ] && [ ! -L "$d" ] || continue
  chmod -R u+rwX -- "$d" 2>/dev/null
  find "$d" -mindepth 1 -delete || exit 1
done`,
)} sh ${ownDirs} || { echo 'could not delete the runtime user files' >&2; exit 74; }
${asRuntimeUser(
  user,
  sh`uid=$(id -u)
find "$@" -xdev -user "$uid" -type d -exec chmod u+rwx {} + 2>/dev/null
find "$@" -xdev -user "$uid" -delete 2>/dev/null
if [ -n "$(find "$@" -xdev -user "$uid" -print -quit 2>/dev/null)" ]; then exit 1; fi
exit 0`,
)} sh ${SHARED_TEMP_DIRS} || { echo 'could not delete the runtime user temporary files' >&2; exit 74; }
if command -v crontab >/dev/null 2>&1; then crontab -r -u ${user} 2>/dev/null || true; fi
echo '@@wiped ok'`;
}

/** Runs the wipe over the box's pinned connection (as root, through sudo for a host's admin user). */
export async function wipeRuntimeUser(pool: SshPool, target: BoxTarget, layout: BoxLayout): Promise<void> {
  const connection = await pool.connect(target);
  await connection.execScript(asRoot(target.username, wipeRuntimeUserScript(layout)), {
    label: 'wipe the runtime user',
    timeoutMs: 300_000,
  });
}
