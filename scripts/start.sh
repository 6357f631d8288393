#!/usr/bin/env bash
# npm start: the whole control plane on its embedded defaults, from a fresh clone.
# Installs what is missing, starts PostgreSQL (or the embedded PGlite server) and Redis, applies migrations,
# seeds a first operator (printing the login once), then runs the API and one worker until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data=${PADDOCK_DATA_DIR:-$root/.data}
mkdir -p "$data"
bash scripts/ensure-deps.sh
eval "$(bash scripts/services.sh --allow-embedded)"

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if [ "${PADDOCK_EMBEDDED_PG:-0}" = 1 ]; then
  port=${PADDOCK_EMBEDDED_PG_PORT:-54330}
  node --import tsx packages/db/src/embedded-server.ts --dir "$data/pglite" --port "$port" &
  pids+=($!)
  for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  export DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres?connection_limit=1"
fi

# Secrets at rest are encrypted with this key; it is made once and kept beside the data it protects.
if [ -z "${PADDOCK_MASTER_KEY:-}" ]; then
  if [ ! -f "$data/master.key" ]; then (umask 077; node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))' > "$data/master.key"); fi
  export PADDOCK_MASTER_KEY=$(cat "$data/master.key")
fi

node --import tsx packages/db/src/migrate-cli.ts
node --import tsx scripts/seed.ts

export PORT=${PORT:-8080} HOST=${HOST:-127.0.0.1}
node --import tsx apps/worker/src/main.ts &
pids+=($!)
node --import tsx apps/api/src/main.ts &
pids+=($!)
for _ in $(seq 1 300); do
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "http://$HOST:$PORT/healthz" && break
  sleep 0.2
done
echo
echo "Paddock is running: http://$HOST:$PORT  (API docs: http://$HOST:$PORT/docs, readiness: /readyz). Ctrl-C stops it."
wait -n "${pids[@]}"
