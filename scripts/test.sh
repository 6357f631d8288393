#!/usr/bin/env bash
# npm test: every check and every test, on real services. Starts what is missing (see services.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
# Assigned first: under set -e a failed start stops here (inside eval it would not).
services_env=$(bash scripts/services.sh --with-sshd)
eval "$services_env"
echo "== lint"; npx --no-install biome check .
echo "== typecheck"; npx --no-install tsc -p tsconfig.json --noEmit
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
