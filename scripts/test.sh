#!/usr/bin/env bash
# npm test: every check and every test, on real services. Starts what is missing (see services.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
# The tests' own PostgreSQL and Redis: their own data directory and ports (never the dev database of `npm start`),
# run without fsync for speed. PADDOCK_PG_PORT / PADDOCK_REDIS_PORT / PADDOCK_TEST_DATA_DIR move them.
test_data=${PADDOCK_TEST_DATA_DIR:-$(pwd)/.data/test}
# Assigned first: under set -e a failed start stops here (inside eval it would not). Never echoed: it holds passwords.
services_env=$(PADDOCK_DATA_DIR=$test_data PADDOCK_PG_PORT=${PADDOCK_PG_PORT:-54339} \
  PADDOCK_REDIS_PORT=${PADDOCK_REDIS_PORT:-63809} bash scripts/services.sh --fast --with-sshd)
eval "$services_env"
bash scripts/ensure-test-tools.sh
echo "== lint"; npx --no-install biome check .
echo "== typecheck"; npx --no-install tsc -p tsconfig.json --noEmit
npx --no-install tsc -p apps/console/tsconfig.json --noEmit
echo "== tests"
report=.data/vitest-report.json
rm -f "$report"
status=0
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line that any CI reader understands, whatever the reporter printed above.
if [ -f "$report" ]; then
  node -e 'const r = require(process.argv[1]); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)' "$(pwd)/$report"
fi
exit "$status"
