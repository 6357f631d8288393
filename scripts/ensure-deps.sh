#!/usr/bin/env bash
# Installs npm dependencies when missing or out of date, and generates the Prisma client. Idempotent and quick
# when nothing changed, so `npm start`, `npm test` and `npm run bench` all call it first.
set -euo pipefail
cd "$(dirname "$0")/.."
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then echo "Paddock needs Node 20 or newer (found $(node --version))" >&2; exit 1; fi
stamp=node_modules/.paddock-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  if ! command -v g++ >/dev/null || ! command -v make >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ make python3 >&2
    else
      echo "native modules need a C++ toolchain: install g++, make and python3" >&2; exit 1
    fi
  fi
  # `npm ci`: exactly what package-lock.json says, and the lock file is never rewritten (`npm install` would
  # normalise it on a fresh clone, leaving a change nobody made). A lock out of step with package.json fails here.
  echo "deps: npm ci" >&2
  npm ci --no-audit --no-fund >&2
  touch "$stamp"
fi
bash scripts/prisma-generate.sh
