#!/bin/sh
# paddock-service: the one way to start, stop, restart and health-check the box runtime, with systemd or without it.
# Installed by the control plane's bootstrap as @INSTALL_DIR@/bin/paddock-service; settings in @CONFIG_DIR@/runtime.env.
set -eu
. '@CONFIG_DIR@/runtime.env'
chainctl="$PADDOCK_INSTALL_DIR/current/bin/chainctl"

# The runtime starts from a clean environment: nothing of root's session (or of this SSH session) leaks into it.
# NODE_COMPILE_CACHE (Node >= 22.1) keeps compiled code between the runtime's processes: each deploy starts three
# (daemon, its launcher, the health check), and on a small box their start-up is most of a deploy's CPU.
# With $runtime_limit set, root ends it after that many seconds (the runtime user could make it wait for ever).
as_runtime() {
  # Tilde expansion looks the home up without starting getent and cut. PADDOCK_USER is a checked plain user name.
  eval "home=~$PADDOCK_USER"
  # shellcheck disable=SC2086
  ${runtime_limit:+timeout -k 2 "$runtime_limit"} runuser -u "$PADDOCK_USER" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" USER="$PADDOCK_USER" \
    LOGNAME="$PADDOCK_USER" LANG=C.UTF-8 CHAIN_ROOT="$CHAIN_ROOT" NODE_COMPILE_CACHE="$home/.cache/node-compile" "$@"
}

# The supervised daemon's pid is in $CHAIN_ROOT/daemon.pid, a file of the runtime user, who could make it a FIFO
# (a read would hang), a symlink (a read would copy a line of a root-only file) or write sshd's pid into it (a kill
# would end sshd). So root neither reads it nor signals what it names: the runtime user does both, and may only
# ever signal its own processes. `as_runtime_within SECONDS SCRIPT ARGS...` runs SCRIPT (sh) as that user with the
# function `daemon_pid` defined (the daemon's pid in $pid, or status 1); root stops it after SECONDS (`timeout` is
# root's, out of the user's reach) and gets nothing back from it but what it prints and its exit status.
# shellcheck disable=SC2016
find_daemon='daemon_pid() {
  f=$CHAIN_ROOT/daemon.pid pid=""
  [ -f "$f" ] || return 1
  { read -r pid <"$f"; } 2>/dev/null || true
  case "$pid" in "" | 0 | *[!0-9]*) return 1 ;; esac
  kill -0 "$pid" 2>/dev/null
}
'
as_runtime_within() {
  limit=$1 script=$2
  shift 2
  timeout -k 2 "$limit" runuser -u "$PADDOCK_USER" -- env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
    CHAIN_ROOT="$CHAIN_ROOT" sh -c "$find_daemon$script" sh "$@"
}

# Whether the daemon runs, and its pid on stdout. Under systemd, systemd says.
daemon_running() {
  if [ "$PADDOCK_SERVICE_MODE" = systemd ]; then
    pid=$(systemctl show -p MainPID --value paddock-runtime 2>/dev/null || echo 0)
    case "$pid" in '' | 0 | *[!0-9]*) return 1 ;; esac
    echo "$pid"
    return 0
  fi
  # shellcheck disable=SC2016
  as_runtime_within 5 'daemon_pid && echo "$pid"'
}

# start [--no-wait]: with --no-wait, returns once the daemon is launched; the caller waits for it (a deploy reads
# the state file the new daemon writes once up, see packages/fleet deploy-scripts.ts).
start() {
  if [ "$PADDOCK_SERVICE_MODE" = systemd ]; then
    if [ "${1:-}" = --no-wait ]; then systemctl start --no-block paddock-runtime; else systemctl start paddock-runtime; fi
    return
  fi
  # Right after `stop` (restart) there is nothing to look for; a daemon that somehow survived it keeps its pidfile,
  # and the new one refuses to start beside it.
  if [ -z "${just_stopped:-}" ] && daemon_running >/dev/null; then return 0; fi
  # `chainctl daemon` is the runtime's supervised mode (it owns its pidfile): started here in its own session, the way
  # systemd would, with the open-files limit and libuv thread pool raised as `daemon --detach` does. Not through
  # `--detach` itself: that is one more Node process per start, a third of the CPU a deploy costs a small box. Its
  # output goes to the runtime's log, opened as the runtime user, never to this SSH session.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  # Started from the resolved release directory, not through `current`: `running-release` reads it from the daemon's
  # command line, and the daemon keeps its own files when a newer release is switched in.
  release=$(readlink -f "$PADDOCK_INSTALL_DIR/current") || return 1
  # `exec` first: a redirection on a function call makes sh keep copies of the session's stdout/stderr (to restore
  # them afterwards), and those copies alone would hold the SSH channel open for the daemon's whole life.
  (
    exec </dev/null >/dev/null 2>&1
    as_runtime sh -c 'export UV_THREADPOOL_SIZE=48 NODE_OPTIONS=--max-semi-space-size=1; exec setsid "$0" daemon --drain-timeout "$1" </dev/null >>"$CHAIN_ROOT/daemon.log" 2>&1' \
      "$release/bin/chainctl" "$PADDOCK_DRAIN_TIMEOUT_MS"
  ) &
  [ "${1:-}" = --no-wait ] && return 0
  # One process of the runtime user polls until the daemon is up: 50 ms at first, backing off to 250 ms (every
  # `sleep` is a process, and while a busy box starts Node many short polls add up).
  # shellcheck disable=SC2016
  if ! as_runtime_within 15 'for t in 0.05 0.05 0.1 0.1 0.15 0.2; do daemon_pid && exit 0; sleep "$t"; done
    until daemon_pid; do sleep 0.25; done'; then
    echo "the runtime did not start within 15 s; see $CHAIN_ROOT/daemon.log" >&2
    return 1
  fi
}

# Stops the supervised daemon as the runtime user (see as_runtime_within). SIGTERM makes the runtime drain: nothing
# new starts, running steps get the drain timeout to finish, and what is left is resumed by the next daemon. Stopping
# by pidfile works even if the new release's chainctl is broken. One process waits for the exit (tail checks the pid
# itself every 50 ms) instead of a `sleep` per poll; past the drain timeout and 5 s more, SIGKILL.
stop() {
  if [ "$PADDOCK_SERVICE_MODE" = systemd ]; then
    systemctl stop paddock-runtime
    return
  fi
  limit_ms=$((PADDOCK_DRAIN_TIMEOUT_MS + 5000))
  limit="$((limit_ms / 1000)).$((limit_ms % 1000 / 100))"
  # shellcheck disable=SC2016
  as_runtime_within "$((limit_ms / 1000 + 10))" 'daemon_pid || exit 0
    kill -TERM "$pid" 2>/dev/null || exit 0
    waited=0
    timeout "$1" tail --pid="$pid" -s 0.05 -f /dev/null 2>/dev/null || waited=$?
    if [ "$waited" = 124 ]; then
      kill -KILL "$pid" 2>/dev/null || true
    elif [ "$waited" != 0 ]; then
      # A tail without --pid: poll.
      timeout "$1" sh -c "while kill -0 $pid 2>/dev/null; do sleep 0.1; done" || kill -KILL "$pid" 2>/dev/null || true
    fi' "$limit" || true
}

# Which release the running daemon was started from (its command line holds the resolved release path). Read by the
# runtime user too, for its own daemon: /proc/PID of a pid the user chose is no business of root's.
running_release() {
  if [ "$PADDOCK_SERVICE_MODE" = systemd ]; then
    pid=$(daemon_running) || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 's#^.*/releases/\([^/]*\)/.*$#\1#p' | head -n 1
    return
  fi
  # shellcheck disable=SC2016
  as_runtime_within 5 'daemon_pid || exit 1
    tr "\0" "\n" <"/proc/$pid/cmdline" | sed -n "s#^.*/releases/\([^/]*\)/.*\$#\1#p" | head -n 1'
}

# output RUN STEP MAXBYTES [ATTEMPT]: one step's output (the step's usual path, or one attempt's:
# steps/STEP/attempts/ATTEMPT/output) for the control plane, read as the runtime user. Never as root: the
# runtime user (and so any agent) owns the run directories and could swap the file for a symlink to a root-only file.
# Names are checked with the control plane's rules (RUN_ID_PATTERN, STEP_NAME_PATTERN in box-gateway.ts / contracts).
# Prints one line, then the file: the size in bytes and at most MAXBYTES bytes of it; or the line `missing` (no such
# regular file: absent, a symlink, a directory) or `unreadable` (the runtime user may not open it). Exit 2: bad names.
output() {
  run=${1:-} step=${2:-} max=${3:-} attempt=${4:-}
  case "$run" in '' | *[!A-Za-z0-9_-]*) bad_input 'run id' "$run" ;; esac
  case "$step" in '' | [!A-Za-z0-9]* | *[!A-Za-z0-9_-]*) bad_input 'step name' "$step" ;; esac
  case "$max" in '' | *[!0-9]*) bad_input 'byte count' "$max" ;; esac
  if [ "${#run}" -gt 128 ]; then bad_input 'run id' "$run"; fi
  if [ "${#step}" -gt 64 ]; then bad_input 'step name' "$step"; fi
  if [ "${#max}" -gt 15 ]; then bad_input 'byte count' "$max"; fi
  file=$CHAIN_ROOT/runs/$run/steps/$step/output
  if [ -n "$attempt" ]; then
    case "$attempt" in 0* | *[!0-9]*) bad_input 'attempt' "$attempt" ;; esac
    if [ "${#attempt}" -gt 10 ]; then bad_input 'attempt' "$attempt"; fi
    file=$CHAIN_ROOT/runs/$run/steps/$step/attempts/$attempt/output
  fi
  # The size and the bytes come from the one file opened: swapping it afterwards changes neither. `command exec`
  # keeps a failed open from ending the shell. The check after the open catches what was swapped in before it.
  # shellcheck disable=SC2016
  as_runtime sh -c '
    f=$1
    if [ -L "$f" ] || [ ! -f "$f" ]; then echo missing; exit 0; fi
    { command exec <"$f"; } 2>/dev/null || { echo unreadable; exit 0; }
    if [ ! -f /dev/stdin ]; then echo missing; exit 0; fi
    stat -c %s - || exit 1
    exec head -c "$2"' sh "$file" "$max"
}

bad_input() {
  echo "paddock-service output: invalid $1: $2" >&2
  exit 2
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop ;;
  restart)
    stop
    just_stopped=1
    start "${2:-}"
    ;;
  # A health check answers in a second; one that hangs (a FIFO the runtime user made its pidfile) must not hang root.
  health)
    runtime_limit=30
    as_runtime "$chainctl" health --json
    ;;
  # The control plane's long-lived query channel: JSON lines on stdin/stdout (see packages/fleet box-channel.ts).
  serve) as_runtime "$chainctl" serve --stdio ;;
  running-release) running_release ;;
  output) output "${2:-}" "${3:-}" "${4:-}" "${5:-}" ;;
  status)
    if daemon_running; then exit 0; fi
    echo 'not running'
    exit 3
    ;;
  *)
    echo 'usage: paddock-service start|stop|restart [--no-wait]|health|serve|running-release|status|output RUN STEP MAXBYTES [ATTEMPT]' >&2
    exit 2
    ;;
esac
