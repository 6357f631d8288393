#!/bin/sh
# paddock-service: the one way to start, stop, restart and health-check the box runtime, with systemd or without it.
# Installed by the control plane's bootstrap as @INSTALL_DIR@/bin/paddock-service; settings in @CONFIG_DIR@/runtime.env.
set -eu
. '@CONFIG_DIR@/runtime.env'
chainctl="$PADDOCK_INSTALL_DIR/current/bin/chainctl"
pidfile="$CHAIN_ROOT/daemon.pid"

# The runtime starts from a clean environment: nothing of root's session (or of this SSH session) leaks into it.
# NODE_COMPILE_CACHE (Node >= 22.1) keeps compiled code between the runtime's processes: each deploy starts three
# (daemon, its launcher, the health check), and on a small box their start-up is most of a deploy's CPU.
as_runtime() {
  # Tilde expansion looks the home up without starting getent and cut. PADDOCK_USER is a checked plain user name.
  eval "home=~$PADDOCK_USER"
  runuser -u "$PADDOCK_USER" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" USER="$PADDOCK_USER" \
    LOGNAME="$PADDOCK_USER" LANG=C.UTF-8 CHAIN_ROOT="$CHAIN_ROOT" NODE_COMPILE_CACHE="$home/.cache/node-compile" "$@"
}

# Polls wait 50 ms at first, backing off to 250 ms: every `sleep` is a process, and while a busy box starts Node a
# fixed 100 ms poll added up to a noticeable share of a deploy's CPU. `nap` sleeps the next interval and adds it to
# $waited_ms; `naps_from_start` resets the sequence.
naps_from_start() {
  naps='0.05 0.05 0.1 0.1 0.15 0.2'
  waited_ms=0
}
nap() {
  case "$naps" in
    '') t=0.25 ;;
    *' '*) t=${naps%% *} naps=${naps#* } ;;
    *) t=$naps naps='' ;;
  esac
  sleep "$t"
  case "$t" in 0.05) waited_ms=$((waited_ms + 50)) ;; 0.1) waited_ms=$((waited_ms + 100)) ;; 0.15) waited_ms=$((waited_ms + 150)) ;; 0.2) waited_ms=$((waited_ms + 200)) ;; *) waited_ms=$((waited_ms + 250)) ;; esac
}

daemon_pid() {
  if [ "$PADDOCK_SERVICE_MODE" = systemd ]; then
    pid=$(systemctl show -p MainPID --value paddock-runtime 2>/dev/null || echo 0)
  else
    # `read`, a builtin: this runs on every poll, and a `$(cat ...)` would cost two processes each time.
    pid=''
    { read -r pid <"$pidfile"; } 2>/dev/null || true
  fi
  case "$pid" in '' | 0 | *[!0-9]*) return 1 ;; esac
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# start [--no-wait]: with --no-wait, returns once the daemon is launched; the caller waits for it (a deploy reads
# the state file the new daemon writes once up, see packages/fleet deploy-scripts.ts).
start() {
  if [ "$PADDOCK_SERVICE_MODE" = systemd ]; then
    if [ "${1:-}" = --no-wait ]; then systemctl start --no-block paddock-runtime; else systemctl start paddock-runtime; fi
    return
  fi
  if daemon_pid >/dev/null; then return 0; fi
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
  naps_from_start
  until daemon_pid >/dev/null; do
    if [ "$waited_ms" -ge 15000 ]; then
      echo "the runtime did not start within 15 s; see $CHAIN_ROOT/daemon.log" >&2
      return 1
    fi
    nap
  done
}

stop() {
  if [ "$PADDOCK_SERVICE_MODE" = systemd ]; then
    systemctl stop paddock-runtime
    return
  fi
  pid=$(daemon_pid) || return 0
  # SIGTERM makes the runtime drain: nothing new starts, running steps get the drain timeout to finish, and what
  # is left is resumed by the next daemon. Stopping by pidfile works even if the new release's chainctl is broken.
  kill -TERM "$pid" 2>/dev/null || return 0
  # One process waits for the exit (tail checks the pid itself every 50 ms) instead of a `sleep` per poll.
  limit_ms=$((PADDOCK_DRAIN_TIMEOUT_MS + 5000))
  waited=0
  timeout "$((limit_ms / 1000)).$((limit_ms % 1000 / 100))" tail --pid="$pid" -s 0.05 -f /dev/null 2>/dev/null || waited=$?
  if [ "$waited" = 124 ]; then
    kill -KILL "$pid" 2>/dev/null || true
  elif [ "$waited" != 0 ]; then
    # A tail without --pid: poll.
    naps_from_start
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$waited_ms" -ge "$limit_ms" ]; then
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      nap
    done
  fi
}

# Which release the running daemon was started from (its command line holds the resolved release path).
running_release() {
  pid=$(daemon_pid) || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 's#^.*/releases/\([^/]*\)/.*$#\1#p' | head -n 1
}

# output RUN STEP MAXBYTES: one step's output for the control plane, read as the runtime user. Never as root: the
# runtime user (and so any agent) owns the run directories and could swap the file for a symlink to a root-only file.
# Names are checked with the control plane's rules (RUN_ID_PATTERN, STEP_NAME_PATTERN in box-gateway.ts / contracts).
# Prints one line, then the file: the size in bytes and at most MAXBYTES bytes of it; or the line `missing` (no such
# regular file: absent, a symlink, a directory) or `unreadable` (the runtime user may not open it). Exit 2: bad names.
output() {
  run=${1:-} step=${2:-} max=${3:-}
  case "$run" in '' | *[!A-Za-z0-9_-]*) bad_input 'run id' "$run" ;; esac
  case "$step" in '' | [!A-Za-z0-9]* | *[!A-Za-z0-9_-]*) bad_input 'step name' "$step" ;; esac
  case "$max" in '' | *[!0-9]*) bad_input 'byte count' "$max" ;; esac
  if [ "${#run}" -gt 128 ]; then bad_input 'run id' "$run"; fi
  if [ "${#step}" -gt 64 ]; then bad_input 'step name' "$step"; fi
  if [ "${#max}" -gt 15 ]; then bad_input 'byte count' "$max"; fi
  # The size and the bytes come from the one file opened: swapping it afterwards changes neither. `command exec`
  # keeps a failed open from ending the shell. The check after the open catches what was swapped in before it.
  # shellcheck disable=SC2016
  as_runtime sh -c '
    f=$1
    if [ -L "$f" ] || [ ! -f "$f" ]; then echo missing; exit 0; fi
    { command exec <"$f"; } 2>/dev/null || { echo unreadable; exit 0; }
    if [ ! -f /dev/stdin ]; then echo missing; exit 0; fi
    stat -c %s - || exit 1
    exec head -c "$2"' sh "$CHAIN_ROOT/runs/$run/steps/$step/output" "$max"
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
    start "${2:-}"
    ;;
  health) as_runtime "$chainctl" health --json ;;
  # The control plane's long-lived query channel: JSON lines on stdin/stdout (see packages/fleet box-channel.ts).
  serve) as_runtime "$chainctl" serve --stdio ;;
  running-release) running_release ;;
  output) output "${2:-}" "${3:-}" "${4:-}" ;;
  status)
    if daemon_pid; then exit 0; fi
    echo 'not running'
    exit 3
    ;;
  *)
    echo 'usage: paddock-service start|stop|restart [--no-wait]|health|serve|running-release|status|output RUN STEP MAXBYTES' >&2
    exit 2
    ;;
esac
