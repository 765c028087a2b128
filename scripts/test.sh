#!/usr/bin/env bash
# The whole test suite: unit, integration (real Pebble, HAProxy) and end-to-end.
# Usage: scripts/test.sh [unit|integration|e2e ...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The house rules first: format and lint (Biome), then sizes, import direction and cycles.
npx --no-install biome check --error-on-warnings
node scripts/check-structure.mjs
export PATH="$PATH:/usr/sbin"
node scripts/run-tests.mjs "$@"
