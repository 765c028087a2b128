#!/usr/bin/env bash
# Installs what the demo and the tests need, on a fresh Debian machine or an existing one:
# Debian packages (pebble, haproxy, lego, openssl, zookeeper, bind9, bind9-utils, bind9-dnsutils, unbound,
# chromium) if missing, npm packages if missing or stale,
# then builds. Idempotent and quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v pebble >/dev/null 2>&1 || need+=(pebble)
command -v pebble-challtestsrv >/dev/null 2>&1 || need+=(pebble)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v lego >/dev/null 2>&1 || need+=(lego)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# DNS-01 tests: bind9 (named), nsupdate (bind9-utils), dig (bind9-dnsutils), unbound
[ -x /usr/sbin/named ] || need+=(bind9)
command -v nsupdate >/dev/null 2>&1 || need+=(bind9-utils)
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)
[ -x /usr/sbin/unbound ] || need+=(unbound)
# the status page's browser tests
[ -x /usr/bin/chromium ] || need+=(chromium)
# high availability tests: ZooKeeper
[ -f /usr/share/java/zookeeper.jar ] || need+=(zookeeper)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

npm run --silent build
