#!/usr/bin/env bash
# The Debian programs the tests drive besides the services (services.sh installs those): Chromium for the browser
# tests (playwright-core never downloads a browser of its own) and systemd's `systemd-analyze` for the control
# plane's unit checks. Installed in one apt-get run before the tests start, when missing and we are root: test files
# start in parallel and would otherwise race for dpkg's lock.
set -euo pipefail
log() { echo "test tools: $*" >&2; }
missing=()
[ -x /usr/bin/chromium ] || [ -n "${PADDOCK_CHROMIUM:-}" ] || missing+=(chromium)
command -v systemd-analyze >/dev/null || missing+=(systemd)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  log "missing ${missing[*]}: install them (apt-get install ${missing[*]})"
  exit 1
fi
exec 9>/tmp/paddock-chromium-install.lock
flock 9
log "apt-get install ${missing[*]}"
DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
