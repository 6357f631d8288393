#!/usr/bin/env bash
# npm run bench [-- NAME...]: starts the services benchmarks need, then runs them (bench/run.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
eval "$(bash scripts/services.sh --with-sshd)"
exec node --import tsx bench/run.ts "$@"
