#!/usr/bin/env bash
# Prints the path of Debian's Chromium for the browser tests, installing the `chromium` package with apt-get when it
# is missing and we are root (as services.sh does for PostgreSQL, Redis and sshd). Playwright drives this browser;
# it never downloads one of its own.
set -euo pipefail
log() { echo "chromium: $*" >&2; }
if [ -n "${PADDOCK_CHROMIUM:-}" ]; then echo "$PADDOCK_CHROMIUM"; exit 0; fi
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "/usr/bin/chromium is missing: install Debian's chromium package (apt-get install chromium)"
    exit 1
  fi
  # One installer at a time: test files start in parallel, and dpkg takes its lock only once it runs.
  exec 9>/tmp/paddock-chromium-install.lock
  flock 9
  if [ ! -x /usr/bin/chromium ]; then
    log "apt-get install chromium"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
  fi
fi
echo /usr/bin/chromium
