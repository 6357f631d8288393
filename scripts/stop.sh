#!/usr/bin/env bash
# npm stop: stops what `npm start` leaves running. A running `npm start` (its supervisor's pid in start.pid) is asked to
# stop first (SIGTERM: API, worker, embedded database, in order), then PostgreSQL and Redis (scripts/services.sh --stop).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${PADDOCK_DATA_DIR:-$(pwd)/.data}
pidfile=$data/start.pid
if [ -f "$pidfile" ]; then
  pid=$(cat "$pidfile")
  # Only our supervisor: a stale file's pid may belong to another process by now.
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q 'scripts/supervisor/main.ts'; then
    echo "stop: stopping npm start (pid $pid)" >&2
    kill -TERM "$pid"
    # Its programs have their own deadlines (SIGKILL after 40 s each); this is the backstop.
    for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { echo "stop: npm start did not stop in 120 s: SIGKILL" >&2; kill -KILL "$pid"; }
  fi
  rm -f "$pidfile"
fi
PADDOCK_DATA_DIR=$data bash scripts/services.sh --stop
