#!/usr/bin/env bash
# What the benchmarks need beyond scripts/setup.sh (which the tests and the demo share): Debian's
# python3-acme, the independent ACME client of bench/floor_acme.py. Idempotent and quiet when present.
set -euo pipefail
if ! /usr/bin/python3 -c 'import acme, josepy' >/dev/null 2>&1; then
  echo "bench setup: installing Debian package python3-acme"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-acme >/dev/null
fi
