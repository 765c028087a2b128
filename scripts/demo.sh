#!/usr/bin/env bash
# The demo: installs what is missing, builds, and runs the whole system on loopback until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PATH:/usr/sbin"
exec node dist/demo/demo.js "$@"
