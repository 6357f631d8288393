#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis are there and prints `export NAME=value` lines for them.
# Idempotent: a second call finds the running instances and prints the same lines.
#   DATABASE_URL / REDIS_URL given  -> used as they are.
#   otherwise                        -> private instances under $PADDOCK_DATA_DIR (default .data/), loopback only,
#                                       installing postgresql / redis-server / openssh-server with apt-get when root.
#   --allow-embedded                 -> with no PostgreSQL binaries and no way to install them (or when
#                                       PADDOCK_EMBEDDED_PG=1 asks for it), print PADDOCK_EMBEDDED_PG=1 so the
#                                       caller starts the embedded PGlite server instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${PADDOCK_DATA_DIR:-$root/.data}
pg_port=${PADDOCK_PG_PORT:-54329}
redis_port=${PADDOCK_REDIS_PORT:-63799}
allow_embedded=0
need_sshd=0
for arg in "$@"; do
  case "$arg" in
    --allow-embedded) allow_embedded=1 ;;
    --with-sshd) need_sshd=1 ;;
    *) echo "services.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
log() { echo "services: $*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }

apt_updated=0
apt_install() {
  if ! is_root || ! command -v apt-get >/dev/null; then return 1; fi
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

pg_bindir() {
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/pg_ctl" ]; then pg_config --bindir; return; fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
  command -v pg_ctl >/dev/null && dirname "$(readlink -f "$(command -v pg_ctl)")"
}

# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` system user.
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then echo "export DATABASE_URL='$DATABASE_URL'"; return; fi
  if [ "$allow_embedded" = 1 ] && [ "${PADDOCK_EMBEDDED_PG:-0}" = 1 ]; then echo "export PADDOCK_EMBEDDED_PG=1"; return; fi
  local bin; bin=$(pg_bindir || true)
  if [ -z "$bin" ]; then apt_install postgresql >/dev/null || true; bin=$(pg_bindir || true); fi
  if [ -z "$bin" ]; then
    if [ "$allow_embedded" = 1 ]; then log "no PostgreSQL binaries: using the embedded PGlite server"; echo "export PADDOCK_EMBEDDED_PG=1"; return; fi
    log "PostgreSQL is missing: install the 'postgresql' package (apt-get install postgresql) or set DATABASE_URL"; exit 1
  fi
  if is_root && ! id postgres >/dev/null 2>&1; then apt_install postgresql >/dev/null || { log "no 'postgres' user to run PostgreSQL as"; exit 1; }; fi
  local dir=$data/pg
  if is_root && ! runuser -u postgres -- test -x "$data" 2>/dev/null; then
    # The checkout sits where the postgres user cannot reach: keep the cluster in a world-traversable place.
    dir=/var/lib/paddock-dev/$(echo -n "$root" | md5sum | cut -c1-12)/pg
  fi
  mkdir -p "$dir"
  if is_root; then chown postgres "$dir"; chmod 700 "$dir"; fi
  if [ ! -f "$dir/cluster/PG_VERSION" ]; then
    log "initdb $dir/cluster"
    as_pg "$bin/initdb" -D "$dir/cluster" -U paddock --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    as_pg mkdir -p "$dir/run"
  fi
  if ! as_pg "$bin/pg_ctl" -D "$dir/cluster" status >/dev/null 2>&1; then
    log "starting PostgreSQL on 127.0.0.1:$pg_port"
    as_pg "$bin/pg_ctl" -D "$dir/cluster" -l "$dir/postgres.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$dir/run -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB" start >/dev/null
  fi
  if ! "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U paddock -d postgres -tAc "select 1 from pg_database where datname='paddock'" | grep -q 1; then
    "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U paddock paddock
  fi
  echo "export DATABASE_URL='postgresql://paddock@127.0.0.1:$pg_port/paddock'"
  echo "export PADDOCK_PG_BINDIR='$bin'"
}

ensure_redis() {
  if [ -n "${REDIS_URL:-}" ]; then echo "export REDIS_URL='$REDIS_URL'"; return; fi
  if ! command -v redis-server >/dev/null; then apt_install redis-server >/dev/null || true; fi
  if ! command -v redis-server >/dev/null; then log "Redis is missing: install the 'redis-server' package or set REDIS_URL"; exit 1; fi
  local dir=$data/redis; mkdir -p "$dir"
  if ! redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
    log "starting Redis on 127.0.0.1:$redis_port"
    redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" \
      --logfile "$dir/redis.log" --save "" --appendonly yes --maxmemory-policy noeviction >/dev/null
    for _ in $(seq 1 100); do redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  fi
  echo "export REDIS_URL='redis://127.0.0.1:$redis_port'"
}

ensure_sshd() {
  if ! [ -x /usr/sbin/sshd ] || ! command -v ssh-keygen >/dev/null; then
    apt_install openssh-server openssh-client >/dev/null || { log "OpenSSH server is missing: install 'openssh-server'"; exit 1; }
  fi
  # Deploys compress uploads with zstd and hash on the box with openssl when they are there (both optional: without
  # them uploads go uncompressed and hashing uses sha256sum); test boxes share this machine's /usr.
  if ! command -v zstd >/dev/null || ! command -v openssl >/dev/null; then
    apt_install zstd openssl >/dev/null || log "zstd / openssl missing: deploys fall back to uncompressed uploads and sha256sum"
  fi
}

mkdir -p "$data"
ensure_postgres
ensure_redis
[ "$need_sshd" = 1 ] && ensure_sshd
exit 0
