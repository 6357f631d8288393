#!/usr/bin/env bash
# npm run bench [-- NAME...]: starts the services benchmarks need, then runs them (bench/run.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
# Assigned first: under set -e a failed start stops here (inside eval it would not).
services_env=$(bash scripts/services.sh --with-sshd)
eval "$services_env"
exec node --import tsx bench/run.ts "$@"
