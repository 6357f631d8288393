#!/usr/bin/env bash
# npm run bench [-- NAME...]: starts the services benchmarks need, then runs them (bench/run.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
# The test run's services (own data dir and ports, fsync off), as the published results were measured; never the
# dev database of `npm start`. Assigned first: under set -e a failed start stops here (inside eval it would not).
services_env=$(PADDOCK_DATA_DIR=${PADDOCK_TEST_DATA_DIR:-$(pwd)/.data/test} PADDOCK_PG_PORT=${PADDOCK_PG_PORT:-54339} \
  PADDOCK_REDIS_PORT=${PADDOCK_REDIS_PORT:-63809} bash scripts/services.sh --fast --with-sshd)
eval "$services_env"
exec node --import tsx bench/run.ts "$@"
