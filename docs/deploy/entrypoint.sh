#!/bin/sh
# The 0.6.1 image's entrypoint contract: if the first argument is an option or an existing directory,
# run marathon-acme with the arguments (as MARATHON_ACME_USER=uid:gid if set); otherwise run the
# arguments as a command.
set -e
# Raise the soft open-file limit to the hard one (Node cannot): --max-connections (4096) needs room.
ulimit -n "$(ulimit -H -n)" 2>/dev/null || true
if [ "${1#-}" != "$1" ] || [ -d "$1" ]; then
  set -- node /app/dist/src/main.js "$@"
  if [ -n "${MARATHON_ACME_USER:-}" ]; then
    set -- gosu "$MARATHON_ACME_USER" "$@"
  fi
fi
exec "$@"
