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
# The export lines carry the database and Redis passwords: evaluated, never echoed.
services_env=$(bash scripts/services.sh --allow-embedded)
eval "$services_env"
# The superuser's URL is for creating test databases; nothing started here gets it.
unset DATABASE_ADMIN_URL services_env

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if [ "${PADDOCK_EMBEDDED_PG:-0}" = 1 ]; then
  port=${PADDOCK_EMBEDDED_PG_PORT:-54330}
  # The embedded server asks for a password too (test boxes share this machine's network): made once from
  # /dev/urandom, kept beside its data, handed over in a file rather than on a command line others can read.
  if [ ! -f "$data/pglite-password" ]; then (umask 077; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$data/pglite-password"); fi
  node --import tsx packages/db/src/embedded-server.ts --dir "$data/pglite" --port "$port" --password-file "$data/pglite-password" &
  pids+=($!)
  for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  export DATABASE_URL="postgresql://postgres:$(cat "$data/pglite-password")@127.0.0.1:$port/postgres?connection_limit=1"
fi

# Secrets at rest are encrypted with this key; it is made once and kept beside the data it protects.
if [ -z "${PADDOCK_MASTER_KEY:-}" ]; then
  if [ ! -f "$data/master.key" ]; then (umask 077; node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))' > "$data/master.key"); fi
  export PADDOCK_MASTER_KEY=$(cat "$data/master.key")
fi

# Migrations run as the role that owns the tables (DATABASE_OWNER_URL); the API and worker as the app role, which
# may only read and write rows.
node --import tsx packages/db/src/migrate-cli.ts
unset DATABASE_OWNER_URL
node --import tsx scripts/seed.ts
# The web console, served by the API at /console: built here when its sources are newer than the last build.
bash scripts/build-console.sh

export PORT=${PORT:-8080} HOST=${HOST:-127.0.0.1}
# Tenants' boxes on this machine (the seeded plans use them): fine for trying Paddock out, never for production.
export PADDOCK_ALLOW_LOCAL_BOXES=${PADDOCK_ALLOW_LOCAL_BOXES:-true}
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
echo "Console: http://$HOST:$PORT/console/  (operators; workspace members: http://$HOST:$PORT/console/app)"
if [ "$PADDOCK_ALLOW_LOCAL_BOXES" = true ]; then
  echo "local test boxes enabled: boxes share this machine, for development only (PADDOCK_ALLOW_LOCAL_BOXES=false turns them off)."
fi
wait -n "${pids[@]}"
