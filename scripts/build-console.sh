#!/usr/bin/env bash
# Builds the console (apps/console -> apps/console/dist, served by the API at /console) when it is missing or any of
# its sources is newer than the last build. `npm start` and the browser tests call it; a no-op when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
console=apps/console
stamp=$console/dist/index.html
# Test files start in parallel: one build at a time (the second finds the first's build up to date).
exec 9>/tmp/paddock-console-build.lock
flock 9
if [ -f "$stamp" ] && [ -z "$(find $console/src $console/index.html $console/vite.config.ts $console/package.json \
    packages/contracts/src -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
echo "console: building $console" >&2
# NODE_ENV explicitly: a caller's (vitest sets `test`) would otherwise get React's development build (twice the size).
NODE_ENV=production npx --no-install vite build "$console" --logLevel warn >&2
