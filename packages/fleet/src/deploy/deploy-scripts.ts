import type { LocalRelease } from '../release/build-release';
import { MANIFEST_FILE_NAME } from '../release/build-release';
import { storeObjectName } from '../release/release-manifest';
import { joinCommands, ShellCommand, sh, writeFileCommand } from '../shell';
import { type BoxLayout, layoutPaths } from './box-layout';

/** Exit codes the deploy scripts use to say which step failed, so the control plane can react per cause. */
export const SCRIPT_EXIT = {
  healthFailed: 3,
  corruptUpload: 65,
  missingObjects: 66,
  versionConflict: 67,
} as const;

export interface HealthCheckPlan {
  attempts: number;
  intervalSeconds: number;
}

// Shared by both scripts: step markers the control plane parses from the stream (`@@step <name> <status> [detail]`),
// and the health checks (see `started_health` and `health`).
function prelude(layout: BoxLayout, health: HealthCheckPlan): ShellCommand {
  const p = layoutPaths(layout);
  const deadlineMs = Math.max(1, Math.round(health.attempts * health.intervalSeconds * 1000));
  const deadlineSeconds = (deadlineMs / 1000).toFixed(3);
  const watchLimitSeconds = (deadlineMs / 1000 + 3).toFixed(3);
  return sh`set -u
umask 022
cd -P ${layout.installDir} || exit 1
here=$PWD
step() { echo "@@step $*"; }
fail() { step "$1" failed "$2"; exit "$3"; }
hash_files() { if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r "$@"; else sha256sum "$@"; fi; }
switch_current() { ln -sfn "releases/$1" current.new && mv -T current.new current; }
remember() { { grep -vxF -- "$1" history 2>/dev/null || true; echo "$1"; } | tail -n 50 > history.new && mv history.new history; }
# Root's scratch file for what the runtime user reports (locks is root's, 0700). Output of the user's processes is
# never read through a pipe to its end: a process of that user can hold a pipe open for ever (it may reopen its own
# /proc/PID/fd/1); it goes to this file, and root reads it once the process is gone or its time is up.
said=${`${p.locks}/said`}.$$
trap 'rm -f "$said"' EXIT
health() {
  tries=0
  while :; do
    if timeout -k 2 60 ${p.service} health >"$said" 2>&1; then tail -n 5 "$said"; return 0; fi
    tries=$((tries + 1))
    if [ "$tries" -ge ${health.attempts} ]; then tail -n 20 "$said"; return 1; fi
    sleep ${health.intervalSeconds}
  done
}
# The state files are the runtime user's (it could swap them for a FIFO, which would hang a read, or a symlink to a
# root-only file, which root would copy into the deploy log): only that user opens them, root judges the line it got.
read_state() {
  state=''
  timeout -k 1 5 runuser -u ${layout.runtimeUser} -- env -i PATH=/usr/local/bin:/usr/bin:/bin sh -c '[ -f "$1" ] && exec head -c 65536 -- "$1"' sh ${`${layout.dataDir}/daemon.json`} >"$said" 2>/dev/null
  { read -r state <"$said"; } 2>/dev/null || true
}
# Judges a line of the daemon's state file, in $state, for release $1, with builtins only: 0 its daemon runs and passed
# the self-test it made at start (PTY, writable root); 1 not up yet; 2 it failed its self-test, or another release
# runs; 3 its release writes no self-test (built before it existed), so only \`chainctl health\` can tell. The pid is
# the runtime user's word: root only probes it (\`kill -0\` sends nothing).
judge_state() {
  case "$state" in *'"pid":'[0-9]*) ;; *) pid=''; return 1 ;; esac
  pid=\${state#*'"pid":'}
  pid=\${pid%%[!0-9]*}
  kill -0 "$pid" 2>/dev/null || return 1
  case "$state" in *'"self_test":'*) ;; *) return 3 ;; esac
  case "$state" in *'"script":"'"$here/releases/$1/"*) ;; *) return 2 ;; esac
  case "$state" in *'"self_test":{"ok":true'*) return 0 ;; *) return 2 ;; esac
}
daemon_state() {
  read_state
  judge_state "$1"
}
# The health check right after a restart: the new daemon's first state file is its answer, so no second runtime
# process starts (on a small box that costs as much CPU as the daemon's own start). Same deadline as \`health\`.
# The runtime user's \`tail -F\` delivers each version of the state file (inotify) through a FIFO and \`read\` blocks in
# between, so the wait through the daemon's start costs no process per poll. The watcher ends at the deadline and
# then says so in a line of root's own: root never waits for the FIFO's end (see $said). Without a FIFO it polls.
started_health() {
  watch=${`${p.locks}/state-watch`}.$$
  rm -f "$watch"
  if ! mkfifo -m 600 "$watch" 2>/dev/null; then polled_health "$1"; return; fi
  (
    tail=''
    trap 'kill "$tail" 2>/dev/null; exit 0' TERM
    # Anything but a file there is not the daemon's, and a FIFO would block \`tail\`: it waits until the daemon renames
    # its state over it (never removes it: that could remove the state the daemon just put there). The user's own
    # \`timeout\` ends the watch at the deadline (124); root's ends it a little later should the user hold that one up,
    # and runuser, told to stop, takes 2 s to end its session, hence the margin.
    timeout -k 1 ${watchLimitSeconds} runuser -u ${layout.runtimeUser} -- env -i PATH=/usr/local/bin:/usr/bin:/bin timeout ${deadlineSeconds} sh -c 'while [ -e "$1" ] && [ ! -f "$1" ]; do sleep 0.1; done; exec tail -s 0.1 -n 1 -F -- "$1"' sh ${`${layout.dataDir}/daemon.json`} 2>/dev/null &
    tail=$!
    watched=0
    wait "$tail" || watched=$?
    echo "@@watch-ended $watched"
  ) >"$watch" &
  watcher=$!
  exec 7<"$watch"
  rm -f "$watch"
  verdict=1
  state=''
  while :; do
    line=''
    IFS= read -r line <&7 || [ -n "$line" ] || line='@@watch-ended 1'
    case "$line" in
      *'@@watch-ended '*)
        # At the deadline (timeout says 124), or at once when this tail cannot follow (then poll).
        watcher=''
        if [ "\${line##*@@watch-ended }" != 124 ]; then verdict=4; break; fi
        echo "no healthy daemon of release $1 came up: pid \${pid:-none} \${state:-no state file}"
        break
        ;;
    esac
    state=$line
    judge_state "$1"
    case $? in
      0) printf '%s\\n' "daemon $pid runs release $1 and passed its self-test" "state: $state"; verdict=0; break ;;
      2) printf '%s\\n' "daemon $pid of release $1 is unhealthy: $state"; break ;;
      3) verdict=3; break ;;
    esac
  done
  if [ -n "$watcher" ]; then kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null; fi
  exec 7<&-
  if [ "$verdict" = 3 ]; then health; return; fi
  if [ "$verdict" = 4 ]; then polled_health "$1"; return; fi
  return "$verdict"
}
polled_health() {
  naps_from_start
  while :; do
    daemon_state "$1"
    case $? in
      0) printf '%s\\n' "daemon $pid runs release $1 and passed its self-test" "state: $state"; return 0 ;;
      2) printf '%s\\n' "daemon $pid of release $1 is unhealthy: $state"; return 1 ;;
      3) health; return ;;
    esac
    if [ "$waited_ms" -ge ${deadlineMs} ]; then
      echo "no healthy daemon of release $1 came up: pid \${pid:-none} \${state:-no state file}"
      return 1
    fi
    nap
  done
}
# Polls wait 50 ms at first, backing off to 250 ms (each \`sleep\` is a process: on a box busy starting Node, many
# short polls add up); \`nap\` sleeps the next interval and counts it in $waited_ms.
naps_from_start() {
  naps='0.05 0.05 0.1 0.1 0.15 0.2'
  waited_ms=0
}
nap() {
  case "$naps" in
    '') t=0.25 ;;
    *' '*) t=\${naps%% *} naps=\${naps#* } ;;
    *) t=$naps naps='' ;;
  esac
  sleep "$t"
  case "$t" in 0.05) waited_ms=$((waited_ms + 50)) ;; 0.1) waited_ms=$((waited_ms + 100)) ;; 0.15) waited_ms=$((waited_ms + 150)) ;; 0.2) waited_ms=$((waited_ms + 200)) ;; *) waited_ms=$((waited_ms + 250)) ;; esac
}`;
}

/**
 * Everything after the upload, in one remote command (each new SSH exec costs a session setup): verify what was
 * uploaded, move it into the store, assemble the release from the store, switch `current`, restart the daemon if it
 * does not already run this release, check health, then remember the version and prune old releases.
 * Safe to run again after a dropped connection: every step notices when it is already done.
 */
export function installScript(input: {
  layout: BoxLayout;
  release: LocalRelease;
  deployId: string;
  health: HealthCheckPlan;
  pruneVersions: string[];
}): ShellCommand {
  const { layout, release, deployId } = input;
  const p = layoutPaths(layout);
  const version = release.manifest.version;
  const incoming = `incoming/${deployId}`;
  const objects = [...new Set(release.manifest.files.map((f) => storeObjectName(f)))];
  const dirs = [
    ...new Set(release.manifest.files.map((f) => f.path.split('/').slice(0, -1).join('/')).filter(Boolean)),
  ];
  const tmp = `releases/.tmp-${deployId}`;
  const manifestJson = JSON.stringify({ ...release.manifest, digest: release.digest });

  const verify = sh`step verify started
uploaded=''
for f in ${incoming}/*; do [ -e "$f" ] && uploaded=1; break; done
if [ -n "$uploaded" ]; then
  (cd ${incoming} && hash_files *) > ${`${incoming}.sums`} || fail verify 'could not hash the uploaded files' 1
  bad=0
  while read -r sum name; do
    name=\${name#\\*}
    if [ "$sum" != "\${name%.x}" ]; then echo "@@corrupt $name"; rm -f -- ${incoming}/"$name"; bad=1; fi
  done < ${`${incoming}.sums`}
  rm -f ${`${incoming}.sums`}
  [ "$bad" = 0 ] || fail verify 'uploaded files did not match their hashes' ${SCRIPT_EXIT.corruptUpload}
  # Into the store with one chmod per mode and one mv in all, not two processes per file: a rollout's boxes run this
  # at the same time as they start Node, on the same cores. Objects the store has already are dropped (builtins).
  for f in ${incoming}/*; do [ -e "store/\${f##*/}" ] && rm -f -- "$f"; done
  set -- ${incoming}/*.x
  [ -e "$1" ] && chmod 0555 -- "$@"
  set --
  for f in ${incoming}/*; do
    case "$f" in *.x) ;; *) [ -e "$f" ] && set -- "$@" "$f" ;; esac
  done
  [ "$#" = 0 ] || chmod 0444 -- "$@"
  set -- ${incoming}/*
  [ -e "$1" ] && { mv -- "$@" store/ || fail verify 'could not move the uploaded files into the store' 1; }
fi
rmdir ${incoming} 2>/dev/null || true
missing=0
for o in ${objects}; do [ -e "store/$o" ] || { echo "@@missing $o"; missing=1; }; done
[ "$missing" = 0 ] || fail verify 'files missing from the content store' ${SCRIPT_EXIT.missingObjects}
step verify ok`;

  const links = release.manifest.files.map((f) => sh`link ${`${p.store}/${storeObjectName(f)}`} ${f.path}`);
  const expected = release.manifest.files.map((f) => `./${f.path}`).join('\n');
  const assemble = sh`previous=$(readlink current 2>/dev/null) || previous=''
previous=\${previous#releases/}
step assemble started
if [ -d ${`releases/${version}`} ]; then
  [ "$(cat ${`releases/${version}/.paddock-digest`} 2>/dev/null)" = ${release.digest} ] ||
    fail assemble ${`release ${version} is already on the box with different content`} ${SCRIPT_EXIT.versionConflict}
  step assemble skipped already-assembled
else
  rm -rf releases/.tmp-*
  # Hard links into the store, one per file. An upgrade changes a few files, so it starts from a linked copy of the
  # release that runs now (one cp instead of one ln per file), relinks what differs and drops what the new release
  # lacks; should that fail (a file became a directory), it is assembled from nothing. Called as a plain command,
  # never in an \`if\` or \`||\`: there the shell would ignore the subshell's \`set -e\`, and a failed link would go on.
  assemble_from() {
    (
      set -e
      if [ -n "$1" ]; then
        cp -al "releases/$1" ${tmp}
        cd ${tmp}
        rm -f -- ${MANIFEST_FILE_NAME} .paddock-digest
      else
        mkdir -p ${tmp}
        cd ${tmp}
      fi
      link() { [ "$1" -ef "$2" ] || ln -f -- "$1" "$2"; }
      ${dirs.length > 0 ? sh`mkdir -p -- ${dirs}` : sh`:`}
      ${joinCommands(links)}
      if [ -n "$1" ]; then
        find . -type f | grep -vxF -f /dev/fd/3 3<<'PADDOCK_FILES' | while IFS= read -r extra; do rm -f -- "$extra"; done
${ShellCommand.fromTrusted(expected)}
PADDOCK_FILES
        find . -mindepth 1 -type d -empty -delete
      fi
      ${writeFileCommand(MANIFEST_FILE_NAME, manifestJson)}
      echo ${release.digest} > .paddock-digest
    )
  }
  from=''
  [ -n "$previous" ] && [ -f "releases/$previous/.paddock-digest" ] && from=$previous
  assemble_from "$from"
  assembled=$?
  if [ "$assembled" != 0 ] && [ -n "$from" ]; then
    echo "could not assemble from release $from; assembling from the store alone"
    rm -rf ${tmp}
    assemble_from ''
    assembled=$?
  fi
  [ "$assembled" = 0 ] || fail assemble 'could not assemble the release from the store' 1
  mv -T ${tmp} ${`releases/${version}`} || fail assemble 'could not move the release into place' 1
  step assemble ok
fi`;

  const activate = sh`step activate started
if [ "$previous" = ${version} ]; then
  step activate skipped already-current
else
  switch_current ${version} || fail activate 'could not switch current' 1
  step activate ok "previous=\${previous:-none}"
fi
# Which release the daemon runs: its state file says, or (a release that writes none) its command line.
running=''
daemon_state ${version}
case $? in
  0) running=${version} ;;
  3) timeout -k 1 10 ${p.service} running-release >"$said" 2>/dev/null; { read -r running <"$said"; } 2>/dev/null || true ;;
esac
check=health
if [ "$running" = ${version} ]; then
  step restart skipped already-running
else
  step restart started
  # --no-wait: the health check below waits for the new daemon, once.
  if ${p.service} restart --no-wait; then step restart ok; else step restart failed 'the service did not start'; fi
  check=started_health
fi
step health started
if $check ${version}; then step health ok; else fail health 'the health check failed' ${SCRIPT_EXIT.healthFailed}; fi
remember ${version}`;

  const prune = sh`step prune started
for v in ${input.pruneVersions}; do rm -rf -- "releases/$v"; done
find store -type f -links 1 -delete
step prune ok ${`removed=${input.pruneVersions.length}`}`;

  return joinCommands([prelude(layout, input.health), verify, assemble, activate, prune]);
}

/**
 * Switches back to `version` (an assembled release), restarts and checks health. With no version, the box had no
 * earlier release: the runtime is stopped and `current` removed, so nothing broken keeps running.
 */
export function rollbackScript(input: {
  layout: BoxLayout;
  version: string | null;
  health: HealthCheckPlan;
}): ShellCommand {
  const p = layoutPaths(input.layout);
  if (input.version === null) {
    return joinCommands([
      prelude(input.layout, input.health),
      sh`step rollback started
${p.service} stop || true
rm -f current
step rollback ok 'no earlier release: runtime stopped'`,
    ]);
  }
  const version = input.version;
  return joinCommands([
    prelude(input.layout, input.health),
    sh`step rollback started
[ -d ${`releases/${version}`} ] || fail rollback ${`release ${version} is not on the box`} 4
switch_current ${version} || fail rollback 'could not switch current' 1
${p.service} restart --no-wait || step rollback failed 'the service did not start'
if started_health ${version}; then remember ${version}; step rollback ok ${`active=${version}`}; else fail rollback 'the health check failed after rollback' ${SCRIPT_EXIT.healthFailed}; fi`,
  ]);
}
