#!/usr/bin/env bash
# Generates the Prisma client when schema.prisma changed. The schema engine cannot be downloaded here and
# `generate` does not need it, so it is pointed at a stub; migrations are our own SQL runner (packages/db).
set -euo pipefail
cd "$(dirname "$0")/.."
out=packages/db/src/generated
sum=$(cat prisma/schema.prisma prisma.config.ts 2>/dev/null | sha256sum | cut -c1-16)
if [ -f "$out/.schema-sum" ] && [ "$(cat "$out/.schema-sum")" = "$sum" ]; then exit 0; fi
stub=$(mktemp); printf '#!/bin/sh\nexit 1\n' > "$stub"; chmod +x "$stub"
PRISMA_SCHEMA_ENGINE_BINARY=$stub PRISMA_HIDE_UPDATE_MESSAGE=1 npx --no-install prisma generate >&2
rm -f "$stub"
echo "$sum" > "$out/.schema-sum"
