#!/bin/sh
# paddock-service: the one way to start, stop, restart and health-check the box runtime, with systemd or without it.
# Installed by the control plane's bootstrap as @INSTALL_DIR@/bin/paddock-service; settings in @CONFIG_DIR@/runtime.env.
set -eu
. '@CONFIG_DIR@/runtime.env'
chainctl="$PADDOCK_INSTALL_DIR/current/bin/chainctl"
pidfile="$CHAIN_ROOT/daemon.pid"

# The runtime starts from a clean environment: nothing of root's session (or of this SSH session) leaks into it.
as_runtime() {
  home=$(getent passwd "$PADDOCK_USER" | cut -d: -f6)
  runuser -u "$PADDOCK_USER" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" USER="$PADDOCK_USER" \
    LOGNAME="$PADDOCK_USER" LANG=C.UTF-8 CHAIN_ROOT="$CHAIN_ROOT" "$@"
}

daemon_pid() {
  if [ "$PADDOCK_SERVICE_MODE" = systemd ]; then
    pid=$(systemctl show -p MainPID --value paddock-runtime 2>/dev/null || echo 0)
  else
    pid=$(cat "$pidfile" 2>/dev/null || true)
  fi
  case "$pid" in '' | 0 | *[!0-9]*) return 1 ;; esac
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

start() {
  if [ "$PADDOCK_SERVICE_MODE" = systemd ]; then
    systemctl start paddock-runtime
    return
  fi
  if daemon_pid >/dev/null; then return 0; fi
  # Not the SSH session's stdout: the daemon must not hold the control plane's channel open.
  as_runtime "$chainctl" daemon --detach --drain-timeout "$PADDOCK_DRAIN_TIMEOUT_MS" </dev/null >>"$PADDOCK_LOG_DIR/service.log" 2>&1
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
  waited=0
  limit=$((PADDOCK_DRAIN_TIMEOUT_MS / 100 + 50))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge "$limit" ]; then
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# Which release the running daemon was started from (its command line holds the resolved release path).
running_release() {
  pid=$(daemon_pid) || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 's#^.*/releases/\([^/]*\)/.*$#\1#p' | head -n 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart)
    stop
    start
    ;;
  health) as_runtime "$chainctl" health --json ;;
  # The control plane's long-lived query channel: JSON lines on stdin/stdout (see packages/fleet box-channel.ts).
  serve) as_runtime "$chainctl" serve --stdio ;;
  running-release) running_release ;;
  status)
    if daemon_pid; then exit 0; fi
    echo 'not running'
    exit 3
    ;;
  *)
    echo 'usage: paddock-service start|stop|restart|health|serve|running-release|status' >&2
    exit 2
    ;;
esac
