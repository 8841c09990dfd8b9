#!/usr/bin/env bash
# Mutation testing of one folder of lib/ (default: store): npm run mutate -- formats
# MUTATE_TESTS="tests/x_test.ts ..." runs those tests instead; MUTATE_REPORT=NAME names the report.
# StrykerJS runs under Node (>= 20); each mutant runs the folder's tests under Bun.
set -euo pipefail
cd "$(dirname "$0")/.."
export MUTATE_FOLDER="${1:-store}"
if [ ! -d "lib/$MUTATE_FOLDER" ]; then
  echo "mutate: no folder lib/$MUTATE_FOLDER (try store, formats, proto)" >&2
  exit 2
fi
exec node_modules/.bin/stryker run scripts/stryker.config.mjs
