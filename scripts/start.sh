#!/usr/bin/env bash
# npm start: the whole control plane on its embedded defaults, from a fresh clone.
# Installs what is missing, starts PostgreSQL (or the embedded PGlite server) and Redis, applies migrations,
# seeds a first operator (printing the login once), then runs the API and one worker, supervised, until Ctrl-C.
# PostgreSQL and Redis stay up after Ctrl-C (a quick restart needs no new start-up); `npm stop` stops them.
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

if [ "${PADDOCK_EMBEDDED_PG:-0}" = 1 ]; then
  export PADDOCK_EMBEDDED_PG_PORT=${PADDOCK_EMBEDDED_PG_PORT:-54330}
  # The embedded server asks for a password too (test boxes share this machine's network): made once from
  # /dev/urandom, kept beside its data, handed over in a file rather than on a command line others can read.
  # The supervisor starts the server itself (first, stopped last).
  if [ ! -f "$data/pglite-password" ]; then (umask 077; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$data/pglite-password"); fi
  export DATABASE_URL="postgresql://postgres:$(cat "$data/pglite-password")@127.0.0.1:$PADDOCK_EMBEDDED_PG_PORT/postgres?connection_limit=1"
fi

# Secrets at rest are encrypted with this key; it is made once and kept beside the data it protects.
if [ -z "${PADDOCK_MASTER_KEY:-}" ]; then
  if [ ! -f "$data/master.key" ]; then (umask 077; node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))' > "$data/master.key"); fi
  export PADDOCK_MASTER_KEY=$(cat "$data/master.key")
fi

# The web console, served by the API at /console: built here when its sources are newer than the last build.
bash scripts/build-console.sh

export PORT=${PORT:-8080} HOST=${HOST:-127.0.0.1} PADDOCK_DATA_DIR=$data
# Tenants' boxes on this machine (the seeded plans use them): fine for trying Paddock out, never for production.
export PADDOCK_ALLOW_LOCAL_BOXES=${PADDOCK_ALLOW_LOCAL_BOXES:-true}
# The supervisor (scripts/supervisor/main.ts) takes over this process: migrations and seed, then the worker and the
# API, restarted with backoff when one dies; Ctrl-C stops them in order and leaves PostgreSQL and Redis running.
exec node --import tsx scripts/supervisor/main.ts
