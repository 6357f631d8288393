#!/usr/bin/env bash
# npm test: every check and every test, on real services. Starts what is missing (see services.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
eval "$(bash scripts/services.sh --with-sshd)"
echo "== lint"; npx --no-install biome check .
echo "== typecheck"; npx --no-install tsc -p tsconfig.json --noEmit
echo "== tests"; npx --no-install vitest run "$@"
