#!/usr/bin/env bash
# `npm run operator -- reset-password <email>`: operator account tasks on the control plane's machine (see
# apps/api/src/operator-cli.ts). Uses DATABASE_URL when set (production: the API's environment file), else the
# checkout's own services under .data/, as `npm start` does.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DATABASE_URL:-}" ]; then
  # The export lines carry the database password: evaluated, never echoed.
  services_env=$(bash scripts/services.sh --allow-embedded)
  eval "$services_env"
fi
exec node --import tsx apps/api/src/operator-cli.ts "$@"
