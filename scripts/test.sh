#!/usr/bin/env bash
# The whole test suite: unit, integration (real Pebble, HAProxy) and end-to-end.
# Usage: scripts/test.sh [unit|integration|e2e ...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PATH:/usr/sbin"
node scripts/run-tests.mjs "$@"
